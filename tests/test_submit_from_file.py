"""`tracker submit --from FILE`: many submissions at once, validated in full
first, all or nothing."""

import json

from tests.conftest import EXAMPLES


def setup(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))


def states(cli, now="2021-06-05T09:00"):
    rows = json.loads(cli("--now", now, "status", "--json").out)
    return {r["unit"]: r["state"] for r in rows if r["obligation"] == "bao-cao-6-thang"}


def test_submit_from_a_csv_records_every_row(cli, tmp_path):
    setup(cli)
    path = tmp_path / "da-nhan.csv"
    path.write_text("unit,obligation,period,at,note\n"
                    "syt,bao-cao-6-thang,2021,2021-05-28 10:00,công văn 12\n"
                    "stc,bao-cao-6-thang,2021,02/06/2021 09:30,\n", encoding="utf-8")
    result = cli("--now", "2021-06-04T09:00", "submit", "--from", str(path))
    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[-1] == f"{path}: 2 submissions recorded"
    got = states(cli)
    assert (got["syt"], got["stc"], got["snv"]) == ("submitted", "late", "overdue")


def test_submit_from_an_xlsx_is_read(cli, tmp_path):
    from openpyxl import Workbook

    setup(cli)
    book = Workbook()
    book.active.append(["unit", "obligation", "at"])
    book.active.append(["syt", "bao-cao-6-thang", "2021-05-28 10:00"])
    path = tmp_path / "da-nhan.xlsx"
    book.save(path)
    assert cli("--now", "2021-06-04T09:00", "submit", "--from", str(path)).exit_code == 0
    assert states(cli)["syt"] == "submitted"


def test_submit_from_a_file_with_a_bad_row_records_nothing_and_lists_every_problem(cli, tmp_path):
    setup(cli)
    path = tmp_path / "da-nhan.csv"
    path.write_text("unit,obligation,at\n"
                    "syt,bao-cao-6-thang,2021-05-28\n"
                    "khong-co,bao-cao-6-thang,2021-05-28\n"
                    "stc,bao-cao-6-thang,31/02/2021\n"
                    "syt,bao-cao-6-thang,2021-05-29\n", encoding="utf-8")
    result = cli("--now", "2021-06-04T09:00", "submit", "--from", str(path))
    assert result.exit_code == 1
    assert result.err.splitlines() == [
        f"error: {path}:3: unknown unit 'khong-co' (see `tracker units list`)",
        f"error: {path}:4: at: '31/02/2021' is not a real date",
        f"error: {path}:5: syt bao-cao-6-thang is already on line 2",
    ]
    assert states(cli)["syt"] == "overdue"  # nothing recorded
