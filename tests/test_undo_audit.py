"""Undo is a record too: unsubmit, unwaive and units restore reopen the work and
are audited; retiring asks first and refuses to leave a plan without its
coordinator; the audit log reads as who changed what, when."""

import json

from tests.conftest import EXAMPLES


def setup(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))


def state(cli, unit, obligation, now="2021-05-25T09:00"):
    rows = json.loads(cli("--now", now, "status", "--unit", unit, "--json").out)
    return [r["state"] for r in rows if r["obligation"] == obligation]


def test_unsubmit_reopens_the_assignment_and_is_audited(cli):
    setup(cli)
    cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang")
    result = cli("--now", "2021-05-21T09:00", "unsubmit", "syt", "bao-cao-6-thang", "--reason", "nhầm đơn vị")
    assert result.out == "syt bao-cao-6-thang (hn-2021-43, 2021): open again, due 2021-05-31 23:59 (pending)\n"
    assert state(cli, "syt", "bao-cao-6-thang") == ["pending"]
    log = json.loads(cli("--now", "2021-05-22T09:00", "audit", "--unit", "syt", "--json").out)
    assert [e["action"] for e in log] == ["submit", "unsubmit"]
    assert log[1]["before"]["state"] == "submitted" and log[1]["after"]["reason"] == "nhầm đơn vị"


def test_unsubmit_of_work_not_submitted_is_refused(cli):
    setup(cli)
    result = cli("--now", "2021-05-21T09:00", "unsubmit", "syt", "bao-cao-6-thang")
    assert (result.exit_code, result.err) == (
        1, "error: syt has no submitted assignment of bao-cao-6-thang: nothing to undo\n")


def test_unwaive_makes_the_unit_owe_the_work_again(cli):
    setup(cli)
    cli("--now", "2021-05-20T09:00", "waive", "ctk", "bao-cao-6-thang", "--reason", "sáp nhập")
    result = cli("--now", "2021-05-21T09:00", "unwaive", "ctk", "bao-cao-6-thang")
    assert result.exit_code == 0 and result.out.endswith(": open again, due 2021-05-31 23:59 (pending)\n")
    assert state(cli, "ctk", "bao-cao-6-thang") == ["pending"]


def test_units_restore_brings_a_retired_unit_back_with_its_waived_work(cli):
    setup(cli)
    cli("--now", "2021-05-21T09:00", "units", "retire", "ctk", "--yes")
    result = cli("--now", "2021-05-22T09:00", "units", "restore", "ctk")
    assert result.out == "ctk restored: 4 assignments open again\n"
    assert state(cli, "ctk", "bao-cao-6-thang") == ["pending"]
    units = {u["code"]: u for u in json.loads(cli("units", "list", "--json").out)}
    assert units["ctk"]["status"] == "active"
    log = json.loads(cli("--now", "2021-05-23T09:00", "audit", "--unit", "ctk", "--json").out)
    assert [e["action"] for e in log if e["entity"] == "unit"][-2:] == ["retire", "restore"]


def test_retiring_a_unit_without_a_terminal_needs_yes(cli):
    setup(cli)
    result = cli("--now", "2021-05-21T09:00", "units", "retire", "ctk")
    assert (result.exit_code, result.err) == (
        1, "error: --yes: retiring a unit needs confirmation: add --yes (not a terminal)\n")


def test_retiring_the_coordinator_of_a_plan_in_force_is_refused(cli):
    setup(cli)
    result = cli("--now", "2021-05-21T09:00", "units", "retire", "sldtbxh", "--yes")
    assert result.exit_code == 1
    assert result.err == ("error: unit 'sldtbxh' coordinates plan hn-2021-43, still in force: give the plan another "
                          "coordinator (plan file, then `tracker plan import`) before retiring it\n")
    # Once the plan has ended, it may go.
    assert cli("--now", "2022-01-05T09:00", "units", "retire", "sldtbxh", "--yes").exit_code == 0


def test_retire_says_why_work_was_not_handed_over(cli):
    setup(cli)
    result = cli("--now", "2021-05-21T09:00", "units", "retire", "ctk", "--merged-into", "stc", "--yes")
    assert result.out == ("ctk retired into stc: 0 open assignments handed over, 4 waived "
                          "(4 because stc already has that work)\n")


def test_audit_lists_changes_with_who_when_and_what_changed(cli):
    setup(cli)
    cli("--now", "2021-05-20T09:00", "submit", "syt", "bao-cao-6-thang")
    out = cli("--now", "2021-05-22T09:00", "audit", "--unit", "syt", "--since", "2021-05-01").out.splitlines()
    assert out[0].split() == ["at", "by", "action", "what", "changes"]
    assert len(out) == 3
    assert "submit" in out[2] and "assignment hn-2021-43/bao-cao-6-thang/syt/2021" in out[2]
    assert "state: open -> submitted" in out[2]
    assert cli("--now", "2021-05-19T09:00", "audit", "--unit", "syt", "--since", "2021-05-01").out == "no changes recorded\n"
