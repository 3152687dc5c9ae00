"""Scorecards for the year's emulation review (issue 20): a year with on-time,
late, missing and waived reports, read back cell by cell from the .xlsx; the
same figures in JSON, CSV and the HTML period view; provisional periods."""

import csv
import io
import json
from datetime import datetime

import pytest

PLAN = """\
plan:
  id: thi-dua-2025
  issuer: Sở Lao động - Thương binh và Xã hội
  year: 2025
  title: Báo cáo định kỳ 2025
  coordinator: sldtbxh
units:
  - code: sldtbxh
    name: Sở Lao động - Thương binh và Xã hội
    email: vanthu@sldtbxh.example.vn
  - code: phuong-a
    name: UBND phường A
    email: a@example.vn
  - code: phuong-b
    name: UBND phường B
    email: b@example.vn
  - code: phuong-c
    name: UBND phường C
    email: c@example.vn
  - code: phuong-d
    name: UBND phường D
    email: d@example.vn
obligations:
  - id: bao-cao-quy
    title: Báo cáo quý
    due: 20/3
    recurrence: quarterly
  - id: bao-cao-nam
    title: Báo cáo năm
    due: 15/12
    recurrence: yearly
"""
# Deadlines: Q1 20/3 (Thu), Q2 20/6 (Fri), Q3 20/9 (Sat) -> 22/9, Q4 20/12 (Sat) -> 22/12; year 15/12 (Mon).
ON_TIME = {"2025-Q1": "2025-03-18T09:00", "2025-Q2": "2025-06-19T09:00", "2025-Q3": "2025-09-22T16:00",
           "2025-Q4": "2025-12-22T23:00", "2025": "2025-12-15T10:00"}
LATE = {"2025-Q1": "2025-03-21T08:00", "2025-Q2": "2025-06-23T08:00", "2025-Q3": "2025-09-23T08:00"}


@pytest.fixture
def year(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    assert cli("--now", "2025-01-02T09:00", "plan", "import", str(path)).exit_code == 0

    def submit(unit, ob, period, when):
        r = cli("--now", "2026-01-05T09:00", "submit", unit, ob, "--period", period, "--at", when)
        assert r.exit_code == 0, r.err

    def waive(unit, ob, period):
        r = cli("--now", "2026-01-05T09:00", "waive", unit, ob, "--period", period, "--reason", "sáp nhập")
        assert r.exit_code == 0, r.err

    for p in ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"):  # A: everything on time
        submit("phuong-a", "bao-cao-quy", p, ON_TIME[p])
    submit("phuong-a", "bao-cao-nam", "2025", ON_TIME["2025"])
    # B: Q1 late, Q2 on time, Q3 waived, Q4 missing, the year on time.
    submit("phuong-b", "bao-cao-quy", "2025-Q1", LATE["2025-Q1"])
    submit("phuong-b", "bao-cao-quy", "2025-Q2", ON_TIME["2025-Q2"])
    waive("phuong-b", "bao-cao-quy", "2025-Q3")
    submit("phuong-b", "bao-cao-nam", "2025", ON_TIME["2025"])
    # C: Q1 on time, Q2 and Q3 late, Q4 on time (the last second's hour), the year missing.
    submit("phuong-c", "bao-cao-quy", "2025-Q1", ON_TIME["2025-Q1"])
    submit("phuong-c", "bao-cao-quy", "2025-Q2", LATE["2025-Q2"])
    submit("phuong-c", "bao-cao-quy", "2025-Q3", LATE["2025-Q3"])
    submit("phuong-c", "bao-cao-quy", "2025-Q4", ON_TIME["2025-Q4"])
    # D: excused from everything (merged): no rank.
    for p in ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"):
        waive("phuong-d", "bao-cao-quy", p)
    waive("phuong-d", "bao-cao-nam", "2025")
    return cli


UNITS = [  # rank, code, name, expected, submitted, on time, late, missing, pending, waived, rate
    (1, "phuong-a", "UBND phường A", 5, 5, 5, 0, 0, 0, 0, 1.0),
    (2, "phuong-b", "UBND phường B", 4, 3, 2, 1, 1, 0, 1, 0.5),
    (3, "phuong-c", "UBND phường C", 5, 4, 2, 2, 1, 0, 0, 0.4),
    (None, "phuong-d", "UBND phường D", 0, 0, 0, 0, 0, 0, 5, None),
]


def test_year_scorecard_xlsx_cell_by_cell(year, tmp_path):
    from openpyxl import load_workbook

    result = year("--now", "2026-01-10T09:00", "report", "scorecard", "--period", "2025", "-o", "xep-hang.xlsx")
    assert (result.exit_code, result.err) == (0, "")
    assert result.out == "xep-hang.xlsx: 4 units, 2 reports written\n"
    wb = load_workbook(tmp_path / "xep-hang.xlsx")
    assert wb.sheetnames == ["Đơn vị", "Báo cáo", "Thông tin"]
    ws = wb["Đơn vị"]
    assert [c.value for c in ws[1]] == ["Xếp hạng", "Mã đơn vị", "Tên đơn vị", "Phải nộp", "Đã nộp", "Đúng hạn",
                                        "Trễ hạn", "Chưa nộp", "Chưa đến hạn", "Được miễn", "Tỷ lệ đúng hạn"]
    assert ws.freeze_panes == "A2"
    assert [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)] == UNITS
    assert ws["K2"].number_format == "0.0%"
    ob = wb["Báo cáo"]
    assert ob.freeze_panes == "A2"
    assert [tuple(c.value for c in row) for row in ob.iter_rows(min_row=2)] == [
        (1, "thi-dua-2025/bao-cao-nam", "Báo cáo năm", 3, 2, 2, 0, 1, 0, 1, pytest.approx(2 / 3)),
        (2, "thi-dua-2025/bao-cao-quy", "Báo cáo quý", 11, 10, 7, 3, 1, 0, 5, pytest.approx(7 / 11)),
    ]
    info = {row[0].value: row[1].value for row in wb["Thông tin"].iter_rows()}
    assert info["Kỳ"] == "năm 2025"
    assert info["Từ ngày"] == datetime(2025, 1, 1) and wb["Thông tin"]["B3"].is_date  # a real date
    assert info["Đến ngày"] == datetime(2025, 12, 31)
    assert info["Số liệu tính đến"] == datetime(2026, 1, 10, 9, 0)
    assert info["Tình trạng"] == "Chính thức"
    assert (info["Phải nộp"], info["Đúng hạn"], info["Tỷ lệ đúng hạn"]) == (14, 9, pytest.approx(9 / 14))


def test_quarter_scorecard_json_and_ties(year):
    out = year("--now", "2026-01-10T09:00", "report", "scorecard", "--period", "2025-Q4", "--json")
    card = json.loads(out.out)
    assert (card["period"], card["period_words"], card["from"], card["to"], card["provisional"]) == (
        "2025-Q4", "Quý IV/2025", "2025-10-01", "2025-12-31", False)
    # Q4 holds the Q4 report (22/12) and the year's (15/12). A and C both 2 of 2? No: C missed the year.
    assert [(u["rank"], u["unit"], u["expected"], u["on_time"], u["missing"], u["waived"], u["on_time_rate"])
            for u in card["units"]] == [
        (1, "phuong-a", 2, 2, 0, 0, 1.0),
        (2, "phuong-b", 2, 1, 1, 0, 0.5),
        (2, "phuong-c", 2, 1, 1, 0, 0.5),  # a tie shares the rank
        (None, "phuong-d", 0, 0, 0, 2, None),
    ]


def test_scorecard_of_a_period_not_ended_is_provisional(year):
    result = year("--now", "2025-06-20T12:00", "report", "scorecard", "--period", "2025-H1")
    assert result.exit_code == 0
    assert result.err == "note: 6 tháng đầu năm 2025 ends on 30/06/2025: this scorecard is provisional\n"
    lines = result.out.splitlines()
    assert lines[0] == "6 tháng đầu năm 2025 (01/01/2025 - 30/06/2025) — provisional"
    card = json.loads(year("--now", "2025-06-20T12:00", "report", "scorecard", "--period", "2025-H1",
                           "--json").out)
    assert card["provisional"] is True
    c = next(u for u in card["units"] if u["unit"] == "phuong-c")
    # Q1 on time; Q2's deadline (20/6 23:59:59) has not passed at noon: pending, not missing.
    assert (c["expected"], c["on_time"], c["late"], c["missing"], c["pending"]) == (2, 1, 0, 0, 1)


def test_scorecard_csv_and_html(year, tmp_path):
    assert year("--now", "2026-01-10T09:00", "report", "scorecard", "--period", "2025", "-o", "x.csv").exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "x.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["Kỳ", "Xếp hạng", "Mã đơn vị", "Tên đơn vị"]
    assert rows[1] == ["2025", "1", "phuong-a", "UBND phường A", "5", "5", "5", "0", "0", "0", "0", "1.0"]
    assert rows[4] == ["2025", "", "phuong-d", "UBND phường D", "0", "0", "0", "0", "0", "0", "5", ""]
    assert year("--now", "2026-01-10T09:00", "report", "scorecard", "--period", "2025", "-o", "x.html").exit_code == 0
    page = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert "<h1>Kết quả thực hiện chế độ báo cáo năm 2025</h1>" in page
    assert "Tạm tính" not in page
    assert '<td class="code">phuong-b</td><td>UBND phường B</td>' in page
    assert "64,3%" in page  # 9 of 14 on time


@pytest.mark.parametrize("args, message", [
    (("--period", "2025-Q5"), "error: --period: '2025-Q5' is not a period (write 2025-Q1, 2025-H1, 2025, 2025-01 or 2025-9M)\n"),
    (("--period", "2025", "--plan", "khong-co"), "error: unknown plan 'khong-co' (plans: thi-dua-2025)\n"),
    (("--period", "2025", "-o", "x.pdf"), "error: x.pdf: write .xlsx, .csv or .html\n"),
])
def test_scorecard_bad_input_is_one_line(year, tmp_path, args, message):
    result = year("--now", "2026-01-10T09:00", "report", "scorecard", *args)
    assert (result.exit_code, result.out, result.err) == (1, "", message)
    assert not (tmp_path / "x.pdf").exists()


def test_report_html_period_view_is_the_scorecard_page(year, tmp_path):
    result = year("--now", "2026-01-10T09:00", "report", "html", "--period", "2025-Q4", "-o", "q4.html")
    assert (result.exit_code, result.out) == (0, "q4.html: the period view of 2025-Q4, 4 units written\n")
    page = (tmp_path / "q4.html").read_text(encoding="utf-8")
    assert "<h1>Kết quả thực hiện chế độ báo cáo Quý IV/2025</h1>" in page


def test_scorecard_and_data_periods_on_postgresql(cli, pg_url, tmp_path):
    assert cli("init", db=pg_url).exit_code == 0
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.replace("    recurrence: quarterly\n", "    recurrence: quarterly\n    data_period: decree-09\n"),
                    encoding="utf-8")
    assert cli("--now", "2025-01-02T09:00", "plan", "import", str(path), db=pg_url).exit_code == 0
    for unit, at in (("phuong-a", "2025-03-18T09:00"), ("phuong-b", "2025-03-21T08:00")):
        r = cli("--now", "2025-04-02T09:00", "submit", unit, "bao-cao-quy", "--period", "2025-Q1", "--at", at, db=pg_url)
        assert r.exit_code == 0, r.err
    cli("--now", "2025-04-02T09:00", "waive", "phuong-d", "bao-cao-quy", "--period", "2025-Q1", "--reason", "x",
        db=pg_url)
    card = json.loads(cli("--now", "2025-04-02T09:00", "report", "scorecard", "--period", "2025-Q1", "--json",
                          db=pg_url).out)
    assert [(u["rank"], u["unit"], u["on_time"], u["late"], u["missing"], u["waived"]) for u in card["units"]] == [
        (1, "phuong-a", 1, 0, 0, 0), (2, "phuong-b", 0, 1, 0, 0), (2, "phuong-c", 0, 0, 1, 0),
        (None, "phuong-d", 0, 0, 0, 1)]
    rows = json.loads(cli("--now", "2025-04-02T09:00", "status", "--unit", "phuong-a", "--json", db=pg_url).out)
    assert (rows[0]["period"], rows[0]["data_from"], rows[0]["data_to"]) == ("2025-Q1", "2024-12-15", "2025-03-14")
