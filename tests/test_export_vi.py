"""Exports for people: Vietnamese headers, periods in words, dates a spreadsheet
reads as dates (CSV and .xlsx); `--columns raw` keeps the contract shape."""

import csv
import io
from datetime import date, datetime

from tests.conftest import at, load_sample
from tracker.services.records import submit


def _sample(rt):
    load_sample(rt, at("2021-03-01T09:00"))
    submit(rt, at("2021-03-12T10:00"), "ctk", "ke-hoach-don-vi", period="2021", at=at("2021-03-12T10:00"))


def test_export_csv_has_vietnamese_headers_words_and_dates_a_spreadsheet_reads(rt, cli, tmp_path):
    _sample(rt)
    assert cli("--now", "2021-06-03T09:00", "export", "csv", "-o", "status.csv").exit_code == 0
    data = (tmp_path / "status.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0] == ["Kế hoạch", "Mã công việc", "Công việc", "Mã đơn vị", "Đơn vị", "Kỳ", "Hạn nộp", "Trạng thái",
                       "Ngày nộp", "Số ngày chậm", "Số liệu từ ngày", "Số liệu đến ngày"]
    ctk = next(r for r in rows if r[3] == "ctk" and r[1] == "ke-hoach-don-vi")
    assert ctk[5:10] == ["năm 2021", "2021-03-09", "nộp muộn", "2021-03-12 10:00", "3"]


def test_export_xlsx_has_date_cells_and_vietnamese_headers(rt, cli, tmp_path):
    from openpyxl import load_workbook

    _sample(rt)
    result = cli("--now", "2021-06-03T09:00", "export", "xlsx", "-o", "tinh-hinh.xlsx")
    assert result.exit_code == 0, result.err
    sheet = load_workbook(tmp_path / "tinh-hinh.xlsx").active
    assert sheet["A1"].value == "Kế hoạch" and sheet["G1"].value == "Hạn nộp"
    ctk = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[3] == "ctk" and r[1] == "ke-hoach-don-vi")
    assert ctk[5] == "năm 2021" and ctk[7] == "nộp muộn" and ctk[9] == 3
    assert ctk[6] == datetime(2021, 3, 9) and ctk[8] == datetime(2021, 3, 12, 10, 0)  # date cells, not text


def test_a_unit_name_that_looks_like_a_formula_stays_text(rt, cli, tmp_path):
    from openpyxl import load_workbook
    from sqlalchemy import select

    from tracker.store.models import Unit

    _sample(rt)
    with rt.store.write() as s:
        s.scalars(select(Unit).where(Unit.code == "ctk")).one().name = "=HYPERLINK(\"http://x\")"
    cli("--now", "2021-06-03T09:00", "export", "xlsx", "-o", "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    cell = next(r[4] for r in sheet.iter_rows(min_row=2) if r[3].value == "ctk")
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    cli("--now", "2021-06-03T09:00", "export", "csv", "-o", "t.csv")
    assert "'=HYPERLINK" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
