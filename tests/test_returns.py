"""Returning a report: one already accepted can still be returned (the unit is
told, the assignment is open again), the audit log says from which address the
coordinator decided, and a late report acknowledged ("resolved") and then
returned gets a new acknowledgement when it comes back."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.core import policy
from tracker.core.calendar import WorkCalendar
from tracker.core.submissions import NothingToDecide
from tracker.services.status import status
from tracker.services.submissions import (
    accept, accept_assignment, return_, return_assignment, submit_by_unit,
)
from tracker.services.tick import tick
from tracker.store.tables import assignments, audit_log, decisions, obligations, outbox, submissions, units

REOPENED = "Thông báo trước đây rằng báo cáo đã được ghi nhận không còn giá trị: nhiệm vụ được mở lại."


@pytest.fixture
def loop(rt, tmp_path):
    rt.settings = replace(rt.settings, inbound=replace(rt.settings.inbound, files_dir=str(tmp_path / "files")))
    load_sample(rt, at("2021-03-01T09:00"))
    return rt


def assignment_id(rt, unit: str) -> int:
    with rt.store.reader() as conn:
        return conn.scalar(
            select(assignments.c.id).join(units, assignments.c.unit_id == units.c.id)
            .join(obligations, assignments.c.obligation_id == obligations.c.id)
            .where(units.c.code == unit, obligations.c.code == "bao-cao-6-thang", assignments.c.period == "2021"))


def state_of(rt, unit: str, now) -> tuple[str, int]:
    row = next(r for r in status(rt, now, unit=unit) if r.obligation == "bao-cao-6-thang")
    return row.state, row.days_late


def returned_messages(rt) -> list:
    with rt.store.reader() as conn:
        return conn.execute(select(outbox).where(outbox.c.key.like("returned:%")).order_by(outbox.c.id)).all()


def last_audit(rt, action: str):
    with rt.store.reader() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.action == action)
                            .order_by(audit_log.c.id.desc()).limit(1)).one()


def test_an_accepted_report_can_be_returned_and_the_unit_is_told_it_is_open_again(loop):
    a_id = assignment_id(loop, "syt")
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-05-28T10:00"))
    accept(loop, at("2021-05-28T15:00"), "syt", "bao-cao-6-thang")
    assert state_of(loop, "syt", at("2021-05-29T09:00")) == ("submitted", 0)

    r = return_(loop, at("2021-06-02T10:00"), "syt", "bao-cao-6-thang", reason="Số liệu quý II sai")
    assert r.state == "returned"
    with loop.store.reader() as conn:
        row = conn.execute(select(assignments).where(assignments.c.id == a_id)).one()
        sub = conn.execute(select(submissions).where(submissions.c.assignment_id == a_id)).one()
    assert (row.state, row.submitted_at, row.returned_at, row.next_action_at) == (
        "open", None, at("2021-06-02T10:00"), at("2021-06-02T10:00"))
    assert (sub.state, sub.reason) == ("returned", "Số liệu quý II sai")
    assert state_of(loop, "syt", at("2021-06-02T10:00")) == ("returned", 2)
    [msg] = returned_messages(loop)
    assert msg.to_addrs == ["vanthu@syt.example.vn"]
    assert "Lý do trả lại: Số liệu quý II sai" in msg.body_text and REOPENED in msg.body_text
    assert REOPENED in msg.body_html
    entry = last_audit(loop, "return")
    assert (entry.after["was_accepted"], entry.after["state"], entry.before["state"]) == (True, "open", "submitted")

    # Sent again and accepted: judged on the new submission (the returned one no longer counts).
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-03T09:00"))
    again = accept(loop, at("2021-06-03T10:00"), "syt", "bao-cao-6-thang")
    assert (again.state, again.at) == ("late", at("2021-06-03T09:00").astimezone(loop.tz))


def test_a_waiting_report_returned_is_not_said_to_reopen_anything(loop):
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-05-28T10:00"))
    return_(loop, at("2021-05-28T15:00"), "syt", "bao-cao-6-thang", reason="Thiếu phụ lục")
    [msg] = returned_messages(loop)
    assert REOPENED not in msg.body_text and last_audit(loop, "return").after["was_accepted"] is False


def test_cli_return_takes_the_accepted_report_when_nothing_waits_and_refuses_what_has_nothing_to_return(loop, cli):
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-05-28T10:00"))
    accept(loop, at("2021-05-28T15:00"), "syt", "bao-cao-6-thang")
    out = cli("--now", "2021-06-02T10:00", "return", "syt", "bao-cao-6-thang", "--reason", "Sai mẫu")
    assert (out.exit_code, out.out) == (0, "syt bao-cao-6-thang (hn-2021-43, 2021): returned, open again "
                                           "(returned, due 2021-05-31 23:59); the unit is told by the next delivery\n")
    again = cli("--now", "2021-06-02T10:05", "return", "syt", "bao-cao-6-thang", "--reason", "Sai mẫu")
    assert again.exit_code == 1 and again.err.startswith(
        "error: unit 'syt' has no assignment in state received or submitted of 'bao-cao-6-thang'")
    with pytest.raises(NothingToDecide):  # open, nothing sent: nothing to return
        return_(loop, at("2021-06-02T10:10"), "syt", "bao-cao-6-thang", period="2021", reason="x")
    with pytest.raises(NothingToDecide):  # and nothing to accept either
        accept_assignment(loop, at("2021-06-02T10:10"), assignment_id(loop, "syt"), actor="x")


def test_the_coordinators_page_decisions_record_the_client_address(loop):
    for code in ("syt", "stc"):
        submit_by_unit(loop, code, assignment_id(loop, code), [], None, "web", at("2021-05-28T10:00"))
    accept_assignment(loop, at("2021-05-28T15:00"), assignment_id(loop, "syt"),
                      actor="coordinator:sldtbxh via link", client="203.0.113.9")
    entry = last_audit(loop, "accept")
    assert (entry.actor, entry.after["client"]) == ("coordinator:sldtbxh via link from 203.0.113.9", "203.0.113.9")
    return_assignment(loop, at("2021-05-28T15:05"), assignment_id(loop, "stc"), reason="Thiếu chữ ký",
                      actor="coordinator:sldtbxh via link", client="2001:db8::7")
    entry = last_audit(loop, "return")
    assert (entry.actor, entry.after["client"]) == ("coordinator:sldtbxh via link from 2001:db8::7", "2001:db8::7")
    with loop.store.reader() as conn:
        decided_by = dict(conn.execute(select(submissions.c.assignment_id, submissions.c.decided_by)).all())
    assert set(decided_by.values()) == {"coordinator:sldtbxh via link from 203.0.113.9",
                                        "coordinator:sldtbxh via link from 2001:db8::7"}
    # From the command line there is no client: the actor alone, as before.
    submit_by_unit(loop, "snv", assignment_id(loop, "snv"), [], None, "web", at("2021-05-28T10:00"))
    accept(loop, at("2021-05-28T15:10"), "snv", "bao-cao-6-thang")
    entry = last_audit(loop, "accept")
    assert (entry.actor, entry.after["client"]) == ("tester", None)


def test_a_late_report_acknowledged_then_returned_is_acknowledged_again_when_it_comes_back(loop):
    """syt is escalated (level 1, to the unit and its head), sends late, gets the
    ``resolved`` acknowledgement; the coordinator returns it: the unit is told the
    task is open again; it sends again: a second acknowledgement goes out."""
    a_id = assignment_id(loop, "syt")
    tick(loop, at("2021-05-10T09:00"))  # settles the earlier deadlines
    tick(loop, at("2021-06-01T08:00"))  # after:1 to every unit and its head
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-02T09:00"))
    first = tick(loop, at("2021-06-02T09:05"))
    assert [(d.stage, d.recipients) for d in first.decisions if d.unit == "syt"] == [
        ("resolved", ("head:syt", "unit:syt"))]

    return_(loop, at("2021-06-02T11:00"), "syt", "bao-cao-6-thang", reason="Thiếu biểu số 2")
    [msg] = returned_messages(loop)
    assert REOPENED in msg.body_text  # the acknowledgement no longer holds
    quiet = tick(loop, at("2021-06-02T11:05"))
    assert [d for d in quiet.decisions if d.unit == "syt"] == []  # level 2 waits for its day (3/6)

    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-02T14:00"))
    second = tick(loop, at("2021-06-02T14:05"))
    assert [(d.stage, d.outcome, d.recipients) for d in second.decisions if d.unit == "syt"] == [
        ("resolved:2", "sent", ("head:syt", "unit:syt"))]
    # The message reads as an acknowledgement, of the new submission.
    [key] = {d.outbox_key for d in second.decisions if d.unit == "syt"}
    with loop.store.reader() as conn:
        mail = conn.execute(select(outbox).where(outbox.c.key == key)).one()
        stages = conn.execute(select(decisions.c.stage, decisions.c.scheduled_at)
                              .where(decisions.c.assignment_id == a_id, decisions.c.stage.like("resolved%"))
                              .order_by(decisions.c.id)).all()
    assert [i["stage"] for i in mail.items] == ["resolved"]
    assert "Đơn vị đã gửi (muộn); không cần đôn đốc thêm." in mail.body_text
    assert stages == [("resolved", at("2021-06-02T09:00")), ("resolved:2", at("2021-06-02T14:00"))]
    # Accepting it says nothing more; nor does the next pass.
    accept(loop, at("2021-06-02T15:00"), "syt", "bao-cao-6-thang")
    assert [d for d in tick(loop, at("2021-06-03T08:00")).decisions if d.unit == "syt"] == []


def _target(submitted):
    due = at("2021-05-31T23:59")
    return policy.Target("deadline", due, "syt", "sldtbxh", state="received", submitted_at=submitted)


@pytest.mark.parametrize("history, expected", [
    # Not acknowledged yet: the first acknowledgement.
    ({}, ("resolved",)),
    # Acknowledged, this very submission: nothing more.
    ({"resolved": policy.Past("sent", ("unit:syt",), at("2021-06-02T09:00"))}, ()),
    # Acknowledged an earlier submission, since returned: a second acknowledgement.
    ({"resolved": policy.Past("sent", ("unit:syt",), at("2021-06-01T09:00"))}, ("resolved:2",)),
    ({"resolved": policy.Past("sent", (), at("2021-06-01T09:00")),
      "resolved:2": policy.Past("sent", (), at("2021-06-01T10:00"))}, ("resolved:3",)),
    # A decision recorded without its time is taken as the current acknowledgement.
    ({"resolved": policy.Past("sent", ("unit:syt",))}, ()),
])
def test_the_policy_acknowledges_each_submission_that_comes_back_once(history, expected):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    history = {"after:1": policy.Past("sent", ("unit:syt", "head:syt"), at("2021-06-01T08:00")), **history}
    verdict = policy.decide(_target(at("2021-06-02T09:00")), history, WorkCalendar(), policy.PolicySettings(tz=tz),
                            at("2021-06-02T09:05"))
    assert tuple(d.stage for d in verdict.decisions) == expected
    assert all(d.routes == ("head:syt", "unit:syt") for d in verdict.decisions)
    assert policy.stage_kind("resolved:3") == "resolved" and policy.stage_kind("after:1") == "after:1"


def test_tick_json_names_the_repeated_acknowledgement(loop, cli):
    a_id = assignment_id(loop, "syt")
    tick(loop, at("2021-05-10T09:00"))
    tick(loop, at("2021-06-01T08:00"))
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-02T09:00"))
    tick(loop, at("2021-06-02T09:05"))
    return_(loop, at("2021-06-02T11:00"), "syt", "bao-cao-6-thang", reason="Thiếu biểu số 2")
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-02T14:00"))
    out = json.loads(cli("--now", "2021-06-02T14:05", "tick", "--json").out)
    assert [(d["unit"], d["stage"]) for d in out["decisions"]] == [("syt", "resolved:2")]
