"""The pure policy: stage times, collisions, catch-up, escalation routes, submission. No database."""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tracker.core.calendar import WorkCalendar
from tracker.core.policy import (
    LEADERSHIP, Past, PolicySettings, Target, decide, initial_action_at, ladder, routes, sending_slot,
)
from tracker.core.schedule import end_of_day, start_of_day

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar()
POL = PolicySettings(tz=TZ)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


def deadline(day: str, **kw) -> Target:
    return Target("deadline", end_of_day(datetime.fromisoformat(day).date(), TZ), "hlhpn", "sldtbxh", **kw)


def times(target: Target, pol: PolicySettings = POL) -> dict[str, str]:
    return {s.name: f"{s.at.astimezone(TZ):%a %Y-%m-%d %H:%M}" for s in ladder(target, CAL, pol)}


# bao-cao-6-thang 2021: "trước ngày 30/5/2021" -> last day Sat 29/5 -> shifted to Mon 31/5 23:59:59.
BC6 = deadline("2021-05-31")


def test_ladder_of_the_six_month_report_2021_moves_reminders_off_the_weekend():
    assert times(BC6) == {
        "before:14": "Mon 2021-05-17 08:00",
        "before:7": "Mon 2021-05-24 08:00",
        "before:3": "Fri 2021-05-28 08:00",
        "before:1": "Fri 2021-05-28 08:00",  # Sun 30/5 moves to the working day before
        "before:0": "Mon 2021-05-31 08:00",
        "after:1": "Tue 2021-06-01 08:00",
        "after:2": "Thu 2021-06-03 08:00",
        "after:3": "Wed 2021-06-09 08:00",  # 7 working days after Mon 31/5
    }


def test_two_stages_on_one_instant_send_the_one_nearest_the_deadline():
    verdict = decide(BC6, {"before:14": Past("sent"), "before:7": Past("sent")}, CAL, POL,
                     local("2021-05-28T08:00"))
    assert [(d.stage, d.outcome, d.reason) for d in verdict.decisions] == [
        ("before:3", "skipped", "collision"), ("before:1", "sent", "due"),
    ]
    assert verdict.decisions[1].routes == ("unit:hlhpn",)
    assert verdict.next_action_at == local("2021-05-31T08:00")


def test_nothing_is_due_a_second_before_the_send_time():
    verdict = decide(BC6, {}, CAL, POL, local("2021-05-17T07:59:59"))
    assert verdict.decisions == ()
    assert verdict.next_action_at == local("2021-05-17T08:00")


def test_reminders_move_before_tet_2021_and_collide_on_the_last_working_day():
    # Tết 2021: 10-16 Feb are holidays. Due Wed 17/2: before:7 (10/2), before:3 (14/2) and
    # before:1 (16/2) all move back to Tue 9/2; only before:1 is sent.
    target = deadline("2021-02-17")
    t = times(target)
    assert t["before:14"] == "Wed 2021-02-03 08:00"
    assert t["before:7"] == t["before:3"] == t["before:1"] == "Tue 2021-02-09 08:00"
    assert t["before:0"] == "Wed 2021-02-17 08:00"
    assert t["after:1"] == "Thu 2021-02-18 08:00"
    verdict = decide(target, {"before:14": Past("sent")}, CAL, POL, local("2021-02-09T08:00"))
    assert [(d.stage, d.outcome) for d in verdict.decisions] == [
        ("before:7", "skipped"), ("before:3", "skipped"), ("before:1", "sent"),
    ]


def test_per_obligation_reminders_and_escalation_override_the_config():
    target = deadline("2021-05-31", reminders=(30, 2), escalation=(2,))
    assert times(target) == {
        "before:30": "Thu 2021-04-29 08:00",  # Sat 1/5 (Labour Day) and Fri 30/4 are days off
        "before:2": "Fri 2021-05-28 08:00",
        "after:1": "Wed 2021-06-02 08:00",
    }


def test_escalation_levels_reach_unit_and_head_then_coordinator_then_leadership():
    assert routes("after:1", BC6, POL) == ("unit:hlhpn", "head:hlhpn")
    assert routes("after:2", BC6, POL) == ("unit:sldtbxh",)
    assert routes("after:3", BC6, POL) == ("unit:sldtbxh",)  # leadership list empty: the coordinator
    with_leaders = PolicySettings(tz=TZ, has_leadership=True)
    assert routes("after:3", BC6, with_leaders) == (LEADERSHIP,)
    assert routes("before:7", BC6, with_leaders) == ("unit:hlhpn",)


def test_downtime_sends_only_the_newest_due_stage_and_skips_the_backlog():
    verdict = decide(BC6, {"before:14": Past("sent")}, CAL, POL, local("2021-06-21T09:00"))
    assert [(d.stage, d.outcome, d.reason) for d in verdict.decisions] == [
        ("before:7", "skipped", "catch-up"), ("before:3", "skipped", "catch-up"),
        ("before:1", "skipped", "catch-up"), ("before:0", "skipped", "catch-up"),
        ("after:1", "skipped", "catch-up"), ("after:2", "skipped", "catch-up"),
        ("after:3", "sent", "due"),
    ]
    assert verdict.next_action_at is None


def test_a_reminder_is_not_sent_once_its_deadline_has_passed():
    # At 00:30 before:0 is overdue news; nothing goes out at night, and at 08:00
    # the escalation carries the news while the stale reminder is skipped.
    night = decide(BC6, {}, CAL, POL, local("2021-06-01T00:30"))
    assert night.decisions == () and night.next_action_at == local("2021-06-01T08:00")
    morning = decide(BC6, {}, CAL, POL, local("2021-06-01T08:00"))
    assert [(d.stage, d.outcome) for d in morning.decisions][-2:] == [("before:0", "skipped"), ("after:1", "sent")]


def test_window_start_notice_expires_when_the_window_has_ended():
    window = Target(kind="window", due_at=local("2021-11-15T00:00"), ends_at=local("2021-12-15T23:59:59"),
                    unit="hlhpn", coordinator="sldtbxh")
    verdict = decide(window, {}, CAL, POL, local("2021-12-16T09:00"))
    assert [(d.stage, d.outcome, d.reason) for d in verdict.decisions][-1] == ("window:start", "skipped", "expired")


def test_catch_up_at_night_or_on_a_day_off_waits_for_the_next_working_morning():
    sunday = decide(BC6, {"before:14": Past("sent")}, CAL, POL, local("2021-06-20T23:00"))
    assert sunday.decisions == () and sunday.next_action_at == local("2021-06-21T08:00")
    tet = decide(BC6, {}, CAL, POL, local("2022-02-01T10:00"))  # Tết 2022: 31/1 to 4/2 are days off
    assert tet.next_action_at == local("2022-02-07T08:00")
    assert sending_slot(local("2021-06-21T08:00"), CAL, POL) == local("2021-06-21T08:00")


def test_a_stage_older_than_one_already_decided_is_not_sent():
    # A reminder added to the config after before:7 went out would repeat old news.
    target = deadline("2021-05-31", reminders=(10, 7))
    verdict = decide(target, {"before:7": Past("sent")}, CAL, POL, local("2021-05-25T09:00"))
    assert [(d.stage, d.outcome, d.reason) for d in verdict.decisions] == [("before:10", "skipped", "superseded")]


def test_submission_or_waiver_stops_the_ladder():
    on_time = deadline("2021-05-31", state="submitted", submitted_at=local("2021-05-27T10:00"))
    assert decide(on_time, {"before:14": Past("sent")}, CAL, POL, local("2021-06-09T09:00")).decisions == ()
    assert decide(on_time, {}, CAL, POL, local("2021-06-09T09:00")).next_action_at is None
    waived = deadline("2021-05-31", state="waived")
    assert decide(waived, {}, CAL, POL, local("2021-06-09T09:00")) == decide(waived, {}, CAL, POL, local("2021-01-01"))


def test_a_late_submission_after_an_escalation_sends_resolved_to_everyone_escalated_to():
    late = deadline("2021-05-31", state="submitted", submitted_at=local("2021-06-04T10:00"))
    history = {
        "before:0": Past("sent", ("unit:hlhpn",)),
        "after:1": Past("sent", ("unit:hlhpn", "head:hlhpn")),
        "after:2": Past("sent", ("unit:sldtbxh",)),
    }
    verdict = decide(late, history, CAL, POL, local("2021-06-04T10:05"))
    assert [(d.stage, d.outcome, d.routes) for d in verdict.decisions] == [
        ("resolved", "sent", ("head:hlhpn", "unit:hlhpn", "unit:sldtbxh")),
    ]
    assert verdict.next_action_at is None
    assert decide(late, {**history, "resolved": Past("sent")}, CAL, POL, local("2021-06-05")).decisions == ()


def test_a_late_submission_without_a_sent_escalation_sends_nothing():
    late = deadline("2021-05-31", state="submitted", submitted_at=local("2021-06-01T07:00"))
    history = {"before:0": Past("sent", ("unit:hlhpn",)), "after:1": Past("skipped")}
    assert decide(late, history, CAL, POL, local("2021-06-01T07:05")).decisions == ()


def test_windows_get_before_and_start_stages_events_get_before_stages():
    window = Target("window", start_of_day(datetime(2021, 11, 15).date(), TZ), "hlhpn", "sldtbxh",
                    ends_at=end_of_day(datetime(2021, 12, 15).date(), TZ))
    assert times(window) == {
        "window:before:7": "Mon 2021-11-08 08:00",
        "window:before:1": "Fri 2021-11-12 08:00",  # Sun 14/11 moves to Friday
        "window:start": "Mon 2021-11-15 08:00",
    }
    event = Target("event", start_of_day(datetime(2021, 3, 8).date(), TZ), "hlhpn", "sldtbxh")
    assert times(event) == {"event:before:7": "Mon 2021-03-01 08:00", "event:before:1": "Fri 2021-03-05 08:00"}
    assert decide(event, {}, CAL, POL, local("2021-03-08T09:00")).sent == ()  # the day has begun: expired


def test_initial_action_is_the_first_stage():
    assert initial_action_at(BC6, CAL, POL) == local("2021-05-17T08:00")
    assert initial_action_at(deadline("2021-05-31", reminders=(), escalation=()), CAL, POL) is None


@pytest.mark.parametrize("send_at", ["08:00", "07:30"])
def test_a_whole_year_passing_at_each_next_action_sends_each_stage_once_at_its_time(send_at):
    """Three deadlines a month for 2021: follow next_action_at like the daemon does; nothing is
    missed between two actions (a pass one second earlier finds nothing), nothing is sent twice."""
    hour, minute = map(int, send_at.split(":"))
    pol = PolicySettings(tz=TZ, send_at=time(hour, minute))
    targets = [deadline(f"2021-{m:02d}-{d:02d}") for m in range(1, 13) for d in (5, 15, 28)]
    for t in targets:
        history: dict[str, Past] = {}
        sent: list[str] = []
        now = local("2020-12-01T00:00")
        while now is not None:
            verdict = decide(t, history, CAL, pol, now)
            for d in verdict.decisions:
                assert d.stage not in history
                history[d.stage] = Past(d.outcome, d.routes)
                if d.outcome == "sent":
                    sent.append(d.stage)
                    assert d.scheduled_at == now  # followed exactly: sent at its own time
            if verdict.next_action_at is not None:
                assert verdict.next_action_at > now
                assert decide(t, history, CAL, pol, verdict.next_action_at - timedelta(seconds=1)).decisions == ()
            now = verdict.next_action_at
        stages = ladder(t, CAL, pol)
        assert set(history) == {s.name for s in stages}  # every stage decided, once
        for s in stages:
            assert CAL.is_working_day(s.at.astimezone(TZ).date())
            assert s.at.astimezone(TZ).time() == time(hour, minute)
            # Skipped only when another stage of the same instant, nearer the deadline, was sent.
            if history[s.name].outcome == "skipped":
                assert any(o.at == s.at and o.rank > s.rank and history[o.name].outcome == "sent" for o in stages)


def test_a_verdict_shared_by_the_units_of_one_deadline_names_each_unit():
    from tracker.core.policy import decide_shared

    cache: dict = {}
    now = local("2021-06-10T08:00")
    for unit in ("syt", "stc", "catp"):
        late = Target("deadline", local("2021-06-01T23:59:59"), unit, "sldtbxh")
        assert decide_shared(late, {}, CAL, POL, now, cache) == decide(late, {}, CAL, POL, now)
    assert len(cache) == 1
    # A unit with a history of its own gets its own verdict.
    history = {"after:1": Past("sent", ("unit:syt", "head:syt"))}
    own = Target("deadline", local("2021-06-01T23:59:59"), "syt", "sldtbxh")
    assert decide_shared(own, history, CAL, POL, now, cache) == decide(own, history, CAL, POL, now)
    assert len(cache) == 2


def test_units_share_a_verdict_only_when_every_other_field_of_their_targets_is_equal():
    """decide_shared computes a verdict once for the targets that differ only in their unit;
    a field added to Target and missing from the key would share a verdict it must not."""
    from dataclasses import fields, replace

    from tracker.core.policy import Target, shared_key

    base = Target(kind="deadline", due_at=datetime(2021, 5, 31, 16, 59, 59, tzinfo=timezone.utc), unit="a",
                  coordinator="c")
    changed = {"kind": "window", "due_at": base.due_at + timedelta(days=1), "coordinator": "d",
               "ends_at": base.due_at, "state": "submitted", "submitted_at": base.due_at,
               "reminders": (3,), "escalation": (2,)}
    assert {f.name for f in fields(Target)} - {"unit"} == set(changed)
    assert shared_key(replace(base, unit="b")) == shared_key(base)
    for name, value in changed.items():
        assert shared_key(replace(base, **{name: value})) != shared_key(base), name
