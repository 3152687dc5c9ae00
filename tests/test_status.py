"""status: the five states, days_late, filters, the summary line, JSON shape."""

import json

from tests.conftest import EXAMPLES


def setup_sample(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))


def test_status_json_is_the_contract_shape(cli):
    setup_sample(cli)
    rows = json.loads(cli("--now", "2021-06-03T10:00", "status", "--unit", "syt", "--json").out)
    assert rows[1] == {
        "plan": "hn-2021-43", "obligation": "bao-cao-6-thang", "unit": "syt", "period": "2021",
        "due": "2021-05-31T23:59:59+07:00", "state": "overdue", "submitted_at": None, "days_late": 3,
        "title": "Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ", "unit_name": "Sở Y tế",
        "data_from": None, "data_to": None,
    }


def test_each_state_and_days_late(cli):
    setup_sample(cli)
    cli("--now", "2021-05-28T10:00", "submit", "hlhpn", "bao-cao-6-thang")
    cli("--now", "2021-06-04T10:00", "submit", "syt", "bao-cao-6-thang", "--at", "2021-06-02T16:30")
    cli("--now", "2021-06-04T10:00", "waive", "stc", "bao-cao-6-thang", "--reason", "sáp nhập")
    rows = json.loads(cli("--now", "2021-06-05T10:00", "status", "--json").out)
    by_unit = {r["unit"]: r for r in rows if r["obligation"] == "bao-cao-6-thang"}
    assert (by_unit["hlhpn"]["state"], by_unit["hlhpn"]["days_late"]) == ("submitted", 0)
    assert by_unit["hlhpn"]["submitted_at"] == "2021-05-28T10:00:00+07:00"
    assert (by_unit["syt"]["state"], by_unit["syt"]["days_late"]) == ("late", 2)
    assert (by_unit["stc"]["state"], by_unit["stc"]["days_late"]) == ("waived", 0)
    assert (by_unit["snv"]["state"], by_unit["snv"]["days_late"]) == ("overdue", 5)
    nam = next(r for r in rows if r["obligation"] == "bao-cao-nam" and r["unit"] == "snv")
    assert (nam["state"], nam["days_late"], nam["due"]) == ("pending", 0, "2021-11-29T23:59:59+07:00")


def test_last_second_of_the_day_is_still_pending(cli):
    setup_sample(cli)
    on_time = json.loads(cli("--now", "2021-05-31T23:59:59", "status", "--unit", "syt", "--json").out)
    assert on_time[1]["state"] == "pending"
    late = json.loads(cli("--now", "2021-06-01T00:00:00", "status", "--unit", "syt", "--json").out)
    assert (late[1]["state"], late[1]["days_late"]) == ("overdue", 1)


def test_state_filter_and_summary_line(cli):
    setup_sample(cli)
    cli("--now", "2021-06-04T10:00", "submit", "syt", "bao-cao-6-thang")
    out = cli("--now", "2021-06-05T10:00", "status", "--state", "late").out
    assert out.splitlines() == [
        "plan        obligation       unit  period  due         state  submitted         days late",
        "----------  ---------------  ----  ------  ----------  -----  ----------------  ---------",
        "hn-2021-43  bao-cao-6-thang  syt   2021    2021-05-31  late   2021-06-04 10:00  4",
        "1 assignments: 0 pending, 0 overdue, 0 submitted, 1 late, 0 waived",
    ]
    summary = cli("--now", "2021-06-05T10:00", "status").out.splitlines()[-1]
    assert summary == "42 assignments: 14 pending, 27 overdue, 0 submitted, 1 late, 0 waived"


def test_unknown_plan_or_unit_is_one_line(cli):
    setup_sample(cli)
    assert cli("status", "--plan", "nope").err == "error: unknown plan 'nope' (plans: hn-2021-43)\n"
    result = cli("status", "--unit", "nope")
    assert (result.exit_code, result.err) == (1, "error: unknown unit 'nope' (see `tracker units list`)\n")


def test_submit_defaults_to_the_open_period_with_the_nearest_deadline(cli, tmp_path):
    # The sample as a two-year programme: periods 2021 and 2022 are both open.
    plan = tmp_path / "two-years.yaml"
    plan.write_text((EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8").replace(
        "  year: 2021\n", "  year: 2021\n  valid_until: 31/12/2022\n"), encoding="utf-8")
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(plan))
    result = cli("--now", "2022-03-01T09:00", "submit", "syt", "ke-hoach-don-vi")
    assert result.out == ("syt ke-hoach-don-vi (hn-2021-43, 2022): submitted at 2022-03-01 09:00, "
                          "due 2022-03-09 23:59\n")


def test_submitting_twice_is_refused(cli):
    setup_sample(cli)
    cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang", "--period", "2021")
    again = cli("--now", "2021-05-21T09:00", "submit", "syt", "bao-cao-6-thang", "--period", "2021")
    assert (again.exit_code, again.err) == (
        1, "error: syt already submitted bao-cao-6-thang (2021) at 2021-05-20 09:00\n")


def test_a_window_expects_no_submission(cli):
    setup_sample(cli)
    result = cli("--now", "2021-11-20T09:00", "submit", "syt", "thang-hanh-dong")
    assert result.err == "error: OBLIGATION: obligation 'thang-hanh-dong' is a window: it expects no submission\n"


def test_future_submission_time_is_refused(cli):
    setup_sample(cli)
    result = cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang", "--at", "2021-05-25")
    assert result.err == "error: --at: a submission cannot be recorded in the future\n"
    bad = cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang", "--at", "31/2/2021")
    assert bad.err == "error: --at: '31/2/2021' is not an ISO 8601 date or time (e.g. 2021-05-24T08:00)\n"


def test_upcoming_lists_deadlines_windows_and_events(cli):
    setup_sample(cli)
    items = json.loads(cli("--now", "2021-10-15T09:00", "upcoming", "--days", "45", "--json").out)
    assert [(i["kind"], i["obligation"], i["date"]) for i in items] == [
        ("event", "ngay-phu-nu-viet-nam", "2021-10-20"),
        ("window", "thang-hanh-dong", "2021-11-15"),
        ("deadline", "bao-cao-nam", "2021-11-29"),
    ]
    assert items[2]["due"] == "2021-11-29T23:59:59+07:00" and len(items[2]["units"]) == 14


def test_retired_unit_hands_open_assignments_to_its_successor_and_keeps_history(cli):
    setup_sample(cli)
    cli("--now", "2021-05-20T09:00", "submit", "snv", "bao-cao-6-thang")
    result = cli("--now", "2021-05-21T09:00", "units", "retire", "snv", "--merged-into", "sldtbxh", "--yes")
    # Open work (including the overdue plan and the Action Month window) moves; the submission stays.
    assert result.out == "snv retired into sldtbxh: 3 open assignments handed over, 0 waived\n"
    rows = json.loads(cli("--now", "2021-05-21T09:00", "status", "--json").out)
    assert [(r["obligation"], r["period"], r["state"]) for r in rows if r["unit"] == "snv"] == [
        ("bao-cao-6-thang", "2021", "submitted")]
    assert [(r["obligation"], r["period"]) for r in rows if r["unit"] == "sldtbxh"] == [
        ("ke-hoach-don-vi", "2021"), ("bao-cao-nam", "2021")]
    units = {u["code"]: u for u in json.loads(cli("units", "list", "--json").out)}
    assert (units["snv"]["status"], units["snv"]["merged_into"]) == ("retired", "sldtbxh")


def test_retiring_without_successor_waives_open_assignments(cli):
    setup_sample(cli)
    result = cli("--now", "2021-05-21T09:00", "units", "retire", "ctk", "--yes")
    assert result.out == "ctk retired: 0 open assignments handed over, 4 waived\n"
    again = cli("--now", "2021-05-21T09:00", "units", "retire", "ctk", "--yes")
    assert (again.exit_code, again.err) == (1, "error: unit 'ctk' is already retired\n")
