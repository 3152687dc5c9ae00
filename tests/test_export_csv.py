"""tracker export csv: the status table, UTF-8 with BOM, same content as status --json."""

import csv
import io
import json

from tests.conftest import at, load_sample
from tracker.services.records import submit

HEADER = "plan,obligation,title,unit,unit_name,period,due,state,submitted_at,days_late,data_from,data_to"
KH = "Kế hoạch công tác bình đẳng giới và vì sự tiến bộ phụ nữ của đơn vị"
BC6 = "Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ"


def _sample(rt):
    load_sample(rt, at("2021-03-01T09:00"))
    submit(rt, at("2021-03-05T10:00"), "catp", "ke-hoach-don-vi", period="2021", at=at("2021-03-05T10:00"))
    submit(rt, at("2021-03-12T10:00"), "ctk", "ke-hoach-don-vi", period="2021", at=at("2021-03-12T10:00"))


def test_exact_csv_for_the_sample(rt, cli, tmp_path):
    _sample(rt)
    result = cli("--now", "2021-06-03T09:00", "export", "csv", "--columns", "raw", "-o", "status.csv")
    assert result.exit_code == 0, result.err
    data = (tmp_path / "status.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads UTF-8"
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == HEADER
    assert lines[1] == (f"hn-2021-43,ke-hoach-don-vi,{KH},catp,Công an thành phố Hà Nội,2021,"
                        "2021-03-09T23:59:59+07:00,submitted,2021-03-05T10:00:00+07:00,0,,")
    assert lines[2] == (f"hn-2021-43,ke-hoach-don-vi,{KH},ctk,Cục Thống kê Hà Nội,2021,"
                        "2021-03-09T23:59:59+07:00,late,2021-03-12T10:00:00+07:00,3,,")
    assert lines[3] == (f"hn-2021-43,ke-hoach-don-vi,{KH},hlhpn,Hội Liên hiệp Phụ nữ thành phố Hà Nội,2021,"
                        "2021-03-09T23:59:59+07:00,overdue,,86,,")
    # A unit name with a comma is quoted; "trước ngày 30/5" (a Sunday) became Monday 31/5.
    assert (f'hn-2021-43,bao-cao-6-thang,{BC6},ubnd-quan-huyen,"UBND các quận, huyện, thị xã",2021,'
            "2021-05-31T23:59:59+07:00,overdue,,3,,") in lines
    assert lines[-1] == ""  # every record ends with CRLF
    assert len(lines) == 1 + 14 * 3 + 1  # 14 units x 3 deadlines of 2021 (the plan is valid for 2021 only)


def test_csv_has_the_rows_of_status_json(rt, cli, tmp_path):
    _sample(rt)
    rows_json = json.loads(cli("--now", "2021-06-03T09:00", "status", "--json").out)
    cli("--now", "2021-06-03T09:00", "export", "csv", "--columns", "raw", "--plan", "hn-2021-43", "-o", "s.csv")
    rows_csv = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows_csv) == len(rows_json)
    for c, j in zip(rows_csv, rows_json):
        assert c == {k: "" if j[k] is None else str(j[k]) for k in c}


def test_dash_writes_to_stdout(rt, cli, tmp_path):
    _sample(rt)
    result = cli("--now", "2021-06-03T09:00", "export", "csv", "--columns", "raw", "-o", "-")
    assert result.exit_code == 0
    assert result.out.startswith("\ufeff" + HEADER)
    assert list(tmp_path.glob("*.csv")) == []


def test_an_export_replaces_the_file_whole(rt, cli, tmp_path):
    _sample(rt)
    target = tmp_path / "status.csv"
    target.write_text("old", encoding="utf-8")
    assert cli("--now", "2021-06-03T09:00", "export", "csv", "--columns", "raw", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbfplan,")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".status.csv")] == []  # no temp file left


def test_unknown_plan_is_one_line_and_writes_nothing(rt, cli, tmp_path):
    _sample(rt)
    result = cli("export", "csv", "--plan", "hn-1999-1", "-o", "out.csv")
    assert result.exit_code == 1
    assert result.err.strip().count("\n") == 0
    assert "unknown plan 'hn-1999-1'" in result.err
    assert not (tmp_path / "out.csv").exists()


def test_missing_directory_is_a_user_error(rt, cli, tmp_path):
    _sample(rt)
    result = cli("export", "csv", "--columns", "raw", "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.exit_code == 1
    assert "does not exist" in result.err and result.err.strip().count("\n") == 0
