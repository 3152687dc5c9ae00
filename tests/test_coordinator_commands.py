"""Commands a coordinator reaches for: status by period, by due dates and not
yet submitted; --now as a true "as of"; plan show with the ids to use."""

import json

from tests.conftest import EXAMPLES


def setup(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))


def test_status_not_submitted_for_one_period_is_who_has_not_sent_it(cli):
    setup(cli)
    cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang")
    cli("--now", "2021-05-21T09:00", "submit", "stc", "bao-cao-6-thang")
    rows = json.loads(cli("--now", "2021-05-25T09:00", "status", "--period", "2021", "--due-from", "2021-05-01",
                          "--due-to", "2021-05-31", "--not-submitted", "--json").out)
    units = {r["unit"] for r in rows}
    assert len(rows) == 12 and {r["obligation"] for r in rows} == {"bao-cao-6-thang"}
    assert not units & {"syt", "stc", "sldtbxh"}
    assert {r["state"] for r in rows} == {"pending"}


def test_status_due_window_keeps_only_deadlines_between_the_two_days(cli):
    setup(cli)
    out = cli("--now", "2021-03-15T09:00", "status", "--unit", "syt", "--due-from", "2021-03-01",
              "--due-to", "2021-03-31").out.splitlines()
    assert out[2].split()[:2] == ["hn-2021-43", "ke-hoach-don-vi"] and len(out) == 4
    assert out[-1] == "1 assignments: 0 pending, 1 overdue, 0 submitted, 0 late, 0 waived"


def test_status_with_now_in_the_past_does_not_count_later_submissions(cli):
    setup(cli)
    cli("--now", "2021-06-04T10:00", "submit", "syt", "bao-cao-6-thang")
    before = json.loads(cli("--now", "2021-06-02T10:00", "status", "--unit", "syt", "--json").out)
    assert [r["state"] for r in before if r["obligation"] == "bao-cao-6-thang"] == ["overdue"]
    late = cli("--now", "2021-06-02T10:00", "status", "--state", "late").out
    assert late.splitlines()[-1] == "0 assignments: 0 pending, 0 overdue, 0 submitted, 0 late, 0 waived"
    after = json.loads(cli("--now", "2021-06-05T10:00", "status", "--unit", "syt", "--json").out)
    assert [r["state"] for r in after if r["obligation"] == "bao-cao-6-thang"] == ["late"]


def test_exports_and_status_as_of_a_past_now_do_not_show_a_later_submissions_time(cli, tmp_path):
    from openpyxl import load_workbook

    setup(cli)
    cli("--now", "2021-06-04T10:00", "submit", "syt", "bao-cao-6-thang")
    [row] = [r for r in json.loads(cli("--now", "2021-06-02T10:00", "status", "--unit", "syt", "--json").out)
             if r["obligation"] == "bao-cao-6-thang"]
    assert (row["state"], row["submitted_at"]) == ("overdue", None)
    raw = cli("--now", "2021-06-02T10:00", "export", "csv", "--columns", "raw", "-o", "-").out
    [line] = [x for x in raw.splitlines() if ",bao-cao-6-thang," in x and ",syt," in x]
    assert ",overdue,," in line and "2021-06-04" not in line
    cli("--now", "2021-06-02T10:00", "export", "xlsx", "-o", "t.xlsx")
    cells = [r for r in load_workbook(tmp_path / "t.xlsx").active.iter_rows(values_only=True)
             if r[1] == "bao-cao-6-thang" and r[3] == "syt"]
    assert [c for c in cells[0] if hasattr(c, "year") and c.month == 6] == []  # no 04/06 submission date
    late = '<li class="card late"><span class="n">{}</span> nộp muộn</li>'
    assert late.format(0) in cli("--now", "2021-06-02T10:00", "report", "html", "-o", "-").out  # syt sent later
    assert late.format(1) in cli("--now", "2021-06-05T10:00", "report", "html", "-o", "-").out


def test_plan_show_lists_obligation_ids_periods_and_units(cli):
    setup(cli)
    result = cli("--now", "2021-03-01T09:00", "plan", "show", "hn-2021-43")
    assert result.exit_code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("hn-2021-43: Triển khai thực hiện công tác bình đẳng giới")
    assert lines[1] == "  issued by UBND Thành phố Hà Nội (số 43/KH-UBND ngày 18/02/2021); coordinator sldtbxh"
    assert lines[2] == "  valid until 2021-12-31 (2021)"
    assert lines[3].startswith("  units (15): catp, ctk, hlhpn,")
    row = next(line for line in lines if line.startswith("bao-cao-6-thang "))
    assert row.split()[:2] == ["bao-cao-6-thang", "deadline"] and " 2021 " in row and " 14 " in row
    shown = json.loads(cli("plan", "show", "hn-2021-43", "--json").out)
    assert shown["valid_until"] == "2021-12-31" and shown["multi_year"] is False
    assert [o["id"] for o in shown["obligations"]][:2] == ["ke-hoach-don-vi", "bao-cao-6-thang"]


def test_plan_show_of_an_unknown_plan_is_one_line(cli):
    result = cli("plan", "show", "khong-co")
    assert (result.exit_code, result.err) == (1, "error: unknown plan 'khong-co' (plans: none imported)\n")


def test_upcoming_with_now_in_the_past_still_lists_units_that_submitted_later(cli):
    setup(cli)
    cli("--now", "2021-05-28T10:00", "submit", "syt", "bao-cao-6-thang")
    then = json.loads(cli("--now", "2021-05-25T09:00", "upcoming", "--days", "10", "--json").out)
    [bc6] = [i for i in then if i["obligation"] == "bao-cao-6-thang"]
    assert "syt" in bc6["units"]
    later = json.loads(cli("--now", "2021-05-29T09:00", "upcoming", "--days", "10", "--json").out)
    [bc6] = [i for i in later if i["obligation"] == "bao-cao-6-thang"]
    assert "syt" not in bc6["units"]


def test_a_replay_before_the_last_real_pass_says_why_it_decides_nothing(cli):
    setup(cli)
    assert cli("--now", "2021-05-24T08:00", "tick").exit_code == 0
    replay = cli("--now", "2021-05-17T08:00", "tick")
    assert replay.exit_code == 0
    assert replay.err == ("note: nothing decided: the store's last pass decided at 2021-05-24 08:00, after --now; "
                          "each stage is decided once, so a replay before it decides nothing (use `tracker simulate` "
                          "to preview the past)\n")


def test_an_unknown_obligation_points_to_the_command_that_shows_obligation_ids(cli, tmp_path):
    setup(cli)
    one = cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-thang")
    assert (one.exit_code, one.err) == (1, "error: unknown obligation 'bao-cao-thang' (its obligations' ids: "
                                           "`tracker plan show hn-2021-43`)\n")
    shown = cli("plan", "show", "hn-2021-43").out
    assert "bao-cao-6-thang" in shown  # the id the coordinator was looking for is there
    cli("--now", "2025-01-02T09:00", "plan", "import", str(EXAMPLES / "bao-cao-dinh-ky-2025.yaml"))
    two = cli("--now", "2021-05-20T09:00", "waive", "syt", "bao-cao-nam-nao", "--reason", "x")
    assert (two.exit_code, two.err) == (1, "error: unknown obligation 'bao-cao-nam-nao' (obligations' ids: "
                                           "`tracker plan show ID`, plan ids: `tracker plan list`)\n")
