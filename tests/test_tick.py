"""tick: decisions recorded once, one digest per recipient, catch-up, crashes, dry run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from tests.conftest import at, load_sample
from tracker.config import EscalationSection
from tracker.store.models import Assignment, Decision, OutboxMessage, Unit
from tracker.services.records import extend, submit
from tracker.services.tick import tick

UNITS = 14  # examples/units.csv has 15; the coordinator (sldtbxh) reports to itself


def outbox(rt, since_id: int = 0) -> list[OutboxMessage]:
    with rt.store.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.id > since_id).order_by(OutboxMessage.id)))


def decisions(rt, stage: str | None = None) -> list[Decision]:
    with rt.store.read() as s:
        q = select(Decision).order_by(Decision.id)
        if stage:
            q = q.where(Decision.stage == stage)
        return list(s.scalars(q))


def items_of(messages) -> list[tuple]:
    return sorted((i["obligation"], i["unit"], i["period"], i["stage"]) for m in messages for i in m.items)


@pytest.fixture
def sample(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))  # settles the plan's first deadline and 8/3: the tests start in May
    return rt


def test_a_tick_sends_the_due_reminder_to_each_unit_in_one_digest(sample):
    rt = sample
    result = tick(rt, at("2021-05-17T08:00"))
    assert (result.sent, result.skipped, len(result.messages)) == (UNITS, 0, UNITS)
    msgs = outbox(rt)
    hlhpn = [m for m in msgs if m.key == "unit:hlhpn|2021-05-17T01:00:00Z"]
    assert len(hlhpn) == 1
    assert hlhpn[0].to_addrs == ["vanphong@hlhpn.example.vn"] and hlhpn[0].cc_addrs == []
    assert hlhpn[0].items == [{"plan": "hn-2021-43", "obligation": "bao-cao-6-thang", "unit": "hlhpn",
                               "period": "2021", "stage": "before:14", "due": "2021-05-31T23:59:59+07:00"}]
    assert hlhpn[0].reply_to == ["vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn"]


def test_two_ticks_at_the_same_instant_decide_nothing_new(sample):
    rt = sample
    first = tick(rt, at("2021-05-28T08:00"))
    again = tick(rt, at("2021-05-28T08:00"))
    assert first.decisions and not again.decisions and not again.messages
    assert again.evaluated == 0  # nothing due: next_action_at moved past now
    keys = [(d.assignment_id, d.due_at, d.stage) for d in decisions(rt)]
    assert len(keys) == len(set(keys))


def test_friday_collision_sends_before_1_and_records_before_3_as_skipped(sample):
    rt = sample
    for when in ("2021-05-17T08:00", "2021-05-24T08:00", "2021-05-28T08:00"):
        tick(rt, at(when))
    friday = [(d.stage, d.outcome) for d in decisions(rt) if d.scheduled_at == at("2021-05-28T08:00")]
    assert Counter(friday) == {("before:3", "skipped"): UNITS, ("before:1", "sent"): UNITS}
    assert {m.items[0]["stage"] for m in outbox(rt) if m.key.endswith("2021-05-28T01:00:00Z")} == {"before:1"}


def test_escalation_reaches_unit_and_head_then_coordinator_then_leadership(sample):
    rt = sample
    rt.settings = replace(rt.settings, escalation=EscalationSection(leadership=("lanhdao@hanoi.example.vn",)))
    tick(rt, at("2021-05-31T08:00"))
    start = outbox(rt)[-1].id
    tick(rt, at("2021-06-01T08:00"))
    level1 = outbox(rt, start)
    assert len(level1) == UNITS
    syt = next(m for m in level1 if m.recipient_unit == "syt")
    assert (syt.to_addrs, syt.cc_addrs) == (["vanthu@syt.example.vn"], ["giamdoc@syt.example.vn"])
    start = level1[-1].id
    tick(rt, at("2021-06-03T08:00"))
    (level2,) = outbox(rt, start)
    assert level2.recipient_unit == "sldtbxh" and level2.key == "unit:sldtbxh|2021-06-03T01:00:00Z"
    assert level2.to_addrs == ["vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn"]
    assert items_of([level2]) == sorted(("bao-cao-6-thang", u, "2021", "after:2") for u in _units(rt))
    tick(rt, at("2021-06-09T08:00"))
    (level3,) = outbox(rt, level2.id)
    assert (level3.recipient_unit, level3.to_addrs, level3.key) == (
        None, ["lanhdao@hanoi.example.vn"], "leadership|2021-06-09T01:00:00Z")
    assert len(level3.items) == UNITS
    recorded = {d.stage: d.recipients for d in decisions(rt) if d.assignment_id == _assignment_id(rt, "syt")
                and d.outcome == "sent" and d.stage.startswith("after:")}
    assert recorded == {"after:1": ["unit:syt", "head:syt"], "after:2": ["unit:sldtbxh"], "after:3": ["leadership"]}


def test_submission_stops_the_ladder_and_a_late_one_sends_resolved_to_whoever_was_escalated_to(sample):
    rt = sample
    submit(rt, at("2021-05-27T10:00"), "snv", "bao-cao-6-thang")  # on time
    for when in ("2021-05-31T08:00", "2021-06-01T08:00", "2021-06-03T08:00"):
        tick(rt, at(when))
    snv_stages = {d.stage for d in decisions(rt) if d.assignment_id == _assignment_id(rt, "snv")}
    assert not any(s.startswith("after:") for s in snv_stages)
    start = outbox(rt)[-1].id
    submit(rt, at("2021-06-04T10:00"), "hlhpn", "bao-cao-6-thang")  # late, after levels 1 and 2
    result = tick(rt, at("2021-06-04T10:05"))
    assert [(d.unit, d.stage, d.recipients) for d in result.decisions] == [
        ("hlhpn", "resolved", ("head:hlhpn", "unit:hlhpn", "unit:sldtbxh"))]
    msgs = outbox(rt, start)
    assert {(m.recipient_unit, tuple(m.to_addrs), tuple(m.cc_addrs)) for m in msgs} == {
        ("hlhpn", ("vanphong@hlhpn.example.vn",), ("chutich@hlhpn.example.vn",)),
        ("sldtbxh", ("vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn"), ()),
    }
    assert all(m.items[0]["stage"] == "resolved" for m in msgs)
    tick(rt, at("2021-06-09T08:00"))
    assert "after:3" not in {d.stage for d in decisions(rt) if d.assignment_id == _assignment_id(rt, "hlhpn")}
    with rt.store.read() as s:
        assert s.get(Assignment, _assignment_id(rt, "hlhpn")).next_action_at is None


def test_an_extension_starts_a_fresh_ladder_for_the_new_deadline(sample):
    rt = sample
    tick(rt, at("2021-06-01T08:00"))  # after:1 for everyone
    extend(rt, at("2021-06-01T09:00"), "syt", "bao-cao-6-thang", until=at("2021-06-15T23:59:59"),
           reason="số liệu chậm")
    # New deadline Tue 15/6: its before:14 (Tue 1/6 08:00) is due, but goes at the next send
    # hour, not the moment the extension is typed in; the old ladder is history.
    assert not tick(rt, at("2021-06-01T09:05")).decisions
    result = tick(rt, at("2021-06-02T08:00"))
    assert [(d.unit, d.stage, d.outcome) for d in result.decisions] == [("syt", "before:14", "sent")]
    tick(rt, at("2021-06-03T08:00"))
    syt = [d for d in decisions(rt) if d.assignment_id == _assignment_id(rt, "syt")]
    assert "after:2" not in {d.stage for d in syt if d.due_at == at("2021-06-15T23:59:59")}
    assert {d.due_at for d in syt} == {at("2021-05-31T23:59:59"), at("2021-06-15T23:59:59")}


def test_a_daemon_stopped_for_a_month_sends_one_digest_per_recipient_on_restart(sample):
    rt = sample
    tick(rt, at("2021-05-17T08:00"))  # ran until here (before:14 sent), then stopped
    start = outbox(rt)[-1].id
    result = tick(rt, at("2021-06-17T09:00"))  # a month later
    msgs = outbox(rt, start)
    assert [m.recipient_unit for m in msgs] == ["sldtbxh"]  # newest stage of each unit: after:3
    assert items_of(msgs) == sorted(("bao-cao-6-thang", u, "2021", "after:3") for u in _units(rt))
    assert Counter((d.outcome, d.reason) for d in result.decisions) == {
        ("sent", "due"): UNITS, ("skipped", "catch-up"): 6 * UNITS}
    assert not tick(rt, at("2021-06-17T09:05")).decisions


def test_catch_up_after_a_short_stop_gives_each_unit_one_message_with_its_head_in_copy(sample):
    rt = sample
    tick(rt, at("2021-05-17T08:00"))
    start = outbox(rt)[-1].id
    tick(rt, at("2021-06-02T10:00"))  # missed before:7..before:0 and after:1 of 1/6
    msgs = outbox(rt, start)
    assert sorted(m.recipient_unit for m in msgs) == sorted(_units(rt))
    assert all(len(m.items) == 1 and m.items[0]["stage"] == "after:1" and len(m.cc_addrs) == 1 for m in msgs)


def test_a_tick_interrupted_mid_batch_loses_and_doubles_nothing(sample, monkeypatch):
    rt = sample
    import tracker.services.batches

    real = tracker.services.batches.placeholder
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:  # the second batch of five
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(tracker.services.batches, "placeholder", flaky)
    start = outbox(rt)[-1].id
    first = tick(rt, at("2021-05-17T08:00"), batch_size=5)
    assert first.errors == 1 and first.sent == UNITS - 5
    monkeypatch.setattr(tracker.services.batches, "placeholder", real)
    second = tick(rt, at("2021-05-17T08:05"), batch_size=5)
    assert second.sent == 5 and second.errors == 0
    sent = [(d.assignment_id, d.stage) for d in decisions(rt, "before:14") if d.due_at == at("2021-05-31T23:59:59")]
    assert len(sent) == len(set(sent)) == UNITS
    assert Counter(i[1] for i in items_of(outbox(rt, start))) == {u: 1 for u in _units(rt)}


def test_a_crash_that_ends_the_process_mid_batch_rolls_the_batch_back(sample, monkeypatch):
    rt = sample
    import tracker.services.batches

    real = tracker.services.batches.placeholder
    calls = {"n": 0}

    def dies(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # not an Exception: nothing catches it, like a kill mid-write
        return real(*args, **kwargs)

    monkeypatch.setattr(tracker.services.batches, "placeholder", dies)
    before = _counts(rt)
    with pytest.raises(KeyboardInterrupt):
        tick(rt, at("2021-05-17T08:00"), batch_size=5)
    assert _counts(rt) == before
    monkeypatch.setattr(tracker.services.batches, "placeholder", real)
    start = outbox(rt)[-1].id
    assert tick(rt, at("2021-05-17T08:01"), batch_size=5).sent == UNITS
    assert len([d for d in decisions(rt, "before:14") if d.due_at == at("2021-05-31T23:59:59")]) == UNITS
    assert len(outbox(rt, start)) == UNITS


def test_a_pass_ends_when_the_store_fails_after_its_first_batch(sample, monkeypatch):
    rt = sample
    import tracker.services.batches as batches_module

    real = batches_module._claim
    calls = {"n": 0}

    def store_gone(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:  # a pass that keeps retrying a claim that cannot succeed would spin forever
            pytest.fail("the pass retried a failing claim")
        if calls["n"] >= 2:
            raise RuntimeError("database dropped")
        return real(*args, **kwargs)

    monkeypatch.setattr(batches_module, "_claim", store_gone)
    result = tick(rt, at("2021-05-17T08:00"), batch_size=5, deliver=False)
    assert (calls["n"], result.errors, result.evaluated, result.sent) == (2, 1, 5, 5)


def test_batches_of_one_pass_merge_into_one_message_per_recipient(sample):
    rt = sample
    tick(rt, at("2021-06-01T08:00"))
    tick(rt, at("2021-06-03T08:00"), batch_size=4)
    coordinator = [m for m in outbox(rt) if m.key == "unit:sldtbxh|2021-06-03T01:00:00Z"]
    assert len(coordinator) == 1 and len(coordinator[0].items) == UNITS
    sent = [d for d in decisions(rt, "after:2") if d.due_at == at("2021-05-31T23:59:59")]
    assert {d.outbox_id for d in sent} == {coordinator[0].id}


def test_one_bad_assignment_is_logged_and_the_others_are_decided(sample, monkeypatch, caplog):
    rt = sample
    import tracker.core.policy

    bad = _assignment_id(rt, "stc")
    real = tracker.core.policy.decide_shared

    def decide(target, *args):
        if target.unit == "stc":
            raise ValueError("corrupt row")
        return real(target, *args)

    monkeypatch.setattr(tracker.core.policy, "decide_shared", decide)
    result = tick(rt, at("2021-05-17T08:00"))
    assert result.errors == 1 and result.sent == UNITS - 1
    assert "cannot decide" in caplog.text
    with rt.store.read() as s:
        assert s.get(Assignment, bad).next_action_at == at("2021-05-17T08:00")  # still due: retried next pass


def test_dry_run_decides_and_writes_nothing(sample):
    rt = sample
    before = _counts(rt)
    result = tick(rt, at("2021-06-01T08:00"), dry_run=True)
    assert result.sent and result.messages and result.delivered is None
    assert _counts(rt) == before


def test_next_action_at_holds_the_exact_next_stage_or_null(sample):
    rt = sample
    tick(rt, at("2021-05-24T08:00"))
    syt = _assignment_id(rt, "syt")
    with rt.store.read() as s:
        assert s.get(Assignment, syt).next_action_at == at("2021-05-28T08:00")
    tick(rt, at("2021-06-09T08:00"))
    with rt.store.read() as s:
        assert s.get(Assignment, syt).next_action_at is None


def test_cli_tick_prints_one_summary_line_and_json_decisions(cli):
    from tests.conftest import EXAMPLES

    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    assert cli("--now", "2021-05-10T09:00", "tick").exit_code == 0
    dry = cli("--now", "2021-05-17T08:00", "tick", "--dry-run", "--json")
    assert dry.exit_code == 0
    data = json.loads(dry.out)
    assert data["summary"].startswith("dry run at 2021-05-17 08:00 +0700: 14 decided (14 sent stages, 0 skipped)")
    assert data["decisions"][0]["stage"] == "before:14"
    with freeze_time("2021-05-17T01:00:30Z"):  # the real clock, frozen: 08:00:30 in Hà Nội
        out = cli("tick")
    assert out.exit_code == 0
    assert out.out.startswith("tick at 2021-05-17 08:00 +0700: 14 decided (14 sent stages, 0 skipped), "
                              "14 messages enqueued")
    assert len(out.out.strip().splitlines()) == 1


def _units(rt) -> list[str]:
    with rt.store.read() as s:
        return [c for c in s.scalars(select(Unit.code).order_by(Unit.code)) if c != "sldtbxh"]


def _assignment_id(rt, unit: str, obligation: str = "bao-cao-6-thang", period: str = "2021") -> int:
    from tracker.store.models import Obligation

    with rt.store.read() as s:
        return s.scalar(select(Assignment.id).join(Obligation).join(Unit, Assignment.unit_id == Unit.id).where(
            Unit.code == unit, Obligation.code == obligation, Assignment.period == period))


def _counts(rt) -> tuple:
    with rt.store.read() as s:
        return (s.scalar(select(func.count()).select_from(Decision)),
                s.scalar(select(func.count()).select_from(OutboxMessage)),
                s.scalar(select(func.count()).select_from(Assignment)),
                tuple(s.scalars(select(Assignment.next_action_at).order_by(Assignment.id))))


def test_a_tick_process_decides_and_delivers_without_importing_the_orm(sample, tmp_path):
    # The ORM (its import, its first-use set-up) was a fifth of a `tracker tick`
    # command; the pass runs on Core statements.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tracker.cli import run\n"
        f"code = run(['--db', {sample.store.url!r}, '--now', '2021-05-17T08:00', 'tick'])\n"
        "print('exit', code, 'orm', 'sqlalchemy.orm' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "TRACKER_MAIL_TRANSPORT": "file", "TRACKER_MAIL_OUTBOX_DIR": str(tmp_path / "out")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.stdout.splitlines() == [
        "tick at 2021-05-17 08:00 +0700: 14 decided (14 sent stages, 0 skipped), 14 messages enqueued, "
        f"14 delivered; 14 assignments looked at, 0 materialised in {out.stdout.split(' in ')[-1].split()[0]} s",
        "exit 0 orm False",
    ], out.stderr
    assert len(list((tmp_path / "out").glob("*.eml"))) == 14
