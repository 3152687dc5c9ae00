"""Which stages of one assignment are due now, who they go to, and when to look again. Pure.

No database, no clock, no I/O: the scheduler (services/tick.py) and the preview
(services/simulate.py) both call ``decide`` with ``now`` and the recorded history,
so the whole year can be tested with plain datetimes in milliseconds.

Stages (docs/cli.md): ``before:N`` (N days before a deadline), ``after:L``
(escalation level L), ``window:before:N``, ``window:start``, ``event:before:N``
and ``resolved`` (a late submission closing an escalation).

Rules (DESIGN.md):
- every stage is sent at ``send_at`` local time on a working day; a reminder that
  would fall on a day off moves to the working day before, escalation counts
  working days after the deadline's day;
- of the stages that are due and not yet decided, only the newest is sent: the
  others are recorded as skipped. One rule covers two cases: two reminders moved
  onto the same day (before:3 and before:1 on one Friday: the one nearest the
  deadline wins) and a daemon that was down (no backlog of stale reminders);
- a reminder is never sent once the moment it announces has passed (``expired``);
- a submitted or waived assignment gets nothing more, except ``resolved`` to
  whoever was escalated to when the submission came late after an escalation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo

from tracker.core.calendar import WorkCalendar
from tracker.core.states import AssignmentState, Kind, StageOutcome

SENT = StageOutcome.SENT
SKIPPED = StageOutcome.SKIPPED
LEADERSHIP = "leadership"  # route to the leadership list of the config
RESOLVED = "resolved"


def is_acknowledgement(stage: str) -> bool:
    """``resolved``, or ``resolved:N``: the N-th acknowledgement of one deadline, after
    the report acknowledged before was returned (the decision's unique key holds the stage)."""
    return stage == RESOLVED or stage.startswith(RESOLVED + ":")


def stage_kind(stage: str) -> str:
    """The stage a message item shows: every acknowledgement reads as ``resolved``."""
    return RESOLVED if is_acknowledgement(stage) else stage


@dataclass(frozen=True)
class PolicySettings:
    tz: ZoneInfo
    send_at: time = time(8, 0)
    reminders: tuple[int, ...] = (14, 7, 3, 1, 0)
    escalation: tuple[int, ...] = (1, 3, 7)
    window_reminders: tuple[int, ...] = (7, 1)
    event_reminders: tuple[int, ...] = (7, 1)
    has_leadership: bool = False  # else level 3 goes to the coordinator

    @classmethod
    def from_settings(cls, settings) -> "PolicySettings":
        s = settings.schedule
        return cls(
            tz=settings.tz, send_at=settings.send_time, reminders=tuple(s.reminders),
            escalation=tuple(s.escalation), window_reminders=tuple(s.window_reminders),
            event_reminders=tuple(s.event_reminders), has_leadership=bool(settings.escalation.leadership),
        )


@dataclass(frozen=True, slots=True)  # one per assignment: a year's simulation holds 100,000s
class Target:
    """What the policy needs to know about one assignment (deadline, window or event)."""

    kind: str  # deadline | window | event
    due_at: datetime  # deadline instant, or the start of a window/event (aware)
    unit: str  # the responsible unit's code
    coordinator: str  # the unit escalations go to: obligation.report_to or plan.coordinator
    ends_at: datetime | None = None  # windows
    state: str = AssignmentState.OPEN  # open | received | submitted | waived
    submitted_at: datetime | None = None
    reminders: tuple[int, ...] | None = None  # per-obligation override of the config
    escalation: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)  # one per assignment: a year's simulation holds 100,000s
class Past:
    """One recorded decision for the current deadline."""

    outcome: str  # sent | skipped
    recipients: tuple[str, ...] = ()
    # When the policy wanted it; for an acknowledgement, the submission it acknowledged
    # (None: not known, taken as the current one).
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    at: datetime  # UTC: when the policy wants it sent
    rank: int  # among stages at one instant, the higher is nearer the deadline and wins
    expires_at: datetime | None  # after this the stage says something no longer true

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.at, self.rank)


@dataclass(frozen=True)
class StageDecision:
    stage: str
    scheduled_at: datetime
    outcome: str  # sent | skipped
    reason: str  # due | collision | catch-up | superseded | expired | resolved
    routes: tuple[str, ...] = ()  # for sent stages: "unit:CODE", "head:CODE", "leadership"


@dataclass(frozen=True)
class Verdict:
    decisions: tuple[StageDecision, ...]
    next_action_at: datetime | None  # the next stage time, None when nothing is left to do

    @property
    def sent(self) -> tuple[StageDecision, ...]:
        return tuple(d for d in self.decisions if d.outcome == SENT)


def _at(day: date, pol: PolicySettings) -> datetime:
    return datetime.combine(day, pol.send_at, tzinfo=pol.tz).astimezone(timezone.utc)


def _reminder(name: str, anchor: date, days: int, expires: datetime, cal: WorkCalendar,
              pol: PolicySettings) -> Stage:
    # A reminder on a day off moves to the working day before, never after: late
    # news is worse than early news.
    day = cal.previous_working_day(anchor - timedelta(days=days))
    return Stage(name, _at(day, pol), -days, expires)


def ladder(target: Target, cal: WorkCalendar, pol: PolicySettings) -> list[Stage]:
    """Every stage of the target's current deadline, in send order (ties: nearest the deadline last)."""
    return list(_ladder(target.kind, target.due_at, target.ends_at, target.reminders, target.escalation, cal, pol))


# Thousands of assignments share one deadline (one per unit): the ladder depends
# only on the dates and the rules, so it is computed once per distinct key.
@lru_cache(maxsize=4096)
def _ladder(kind: str, due_at: datetime, ends_at: datetime | None, reminders: tuple[int, ...] | None,
            escalation: tuple[int, ...] | None, cal: WorkCalendar, pol: PolicySettings) -> tuple[Stage, ...]:
    anchor = due_at.astimezone(pol.tz).date()
    stages: list[Stage] = []
    if kind == Kind.DEADLINE:
        days = reminders if reminders is not None else pol.reminders
        stages += [_reminder(f"before:{n}", anchor, n, due_at, cal, pol) for n in sorted(set(days))]
        levels = sorted(escalation if escalation is not None else pol.escalation)
        for level, n in enumerate(levels, start=1):
            stages.append(Stage(f"after:{level}", _at(cal.add_working_days(anchor, n), pol), 1000 + level, None))
    elif kind == Kind.WINDOW:
        stages += [_reminder(f"window:before:{n}", anchor, n, due_at, cal, pol)
                   for n in sorted(set(pol.window_reminders)) if n > 0]
        end = ends_at or due_at + timedelta(days=1)
        stages.append(Stage("window:start", _at(cal.previous_working_day(anchor), pol), 0, end))
    elif kind == Kind.EVENT:
        stages += [_reminder(f"event:before:{n}", anchor, n, due_at, cal, pol)
                   for n in sorted(set(pol.event_reminders))]
    return tuple(sorted(stages, key=lambda s: s.order))


def initial_action_at(target: Target, cal: WorkCalendar, pol: PolicySettings) -> datetime | None:
    """When the scheduler should first look at a new assignment (its first stage)."""
    stages = ladder(target, cal, pol)
    return stages[0].at if stages else None


def routes(stage: str, target: Target, pol: PolicySettings,
           history: Mapping[str, Past] | None = None) -> tuple[str, ...]:
    """Who gets a stage, as route keys the dispatcher turns into addresses.

    Level 1 goes to the unit with its head in copy, level 2 to the coordinator the
    obligation reports to, level 3 and above to the leadership list (the
    coordinator when the list is empty); ``resolved`` to everyone an escalation
    of this deadline was sent to.
    """
    if stage == RESOLVED:
        got: set[str] = set()
        for name, past in (history or {}).items():
            if name.startswith("after:") and past.outcome == SENT:
                got.update(past.recipients)
        return tuple(sorted(got))
    if stage.startswith("after:"):
        level = int(stage.split(":", 1)[1])
        if level == 1:
            return (f"unit:{target.unit}", f"head:{target.unit}")
        if level == 2 or not pol.has_leadership:
            return (f"unit:{target.coordinator}",)
        return (LEADERSHIP,)
    return (f"unit:{target.unit}",)


def sending_slot(now: datetime, cal: WorkCalendar, pol: PolicySettings) -> datetime:
    """The first instant from ``now`` at which mail may go out: a working day at or
    after the send hour. Stages fall on such instants by construction; this holds
    back what a daemon restarted at 2 a.m. or on a Sunday would otherwise catch
    up at once."""
    local = now.astimezone(pol.tz)
    if cal.is_working_day(local.date()) and local.time() >= pol.send_at:
        return now
    day = local.date() if local.time() < pol.send_at else local.date() + timedelta(days=1)
    return _at(cal.next_working_day(day), pol)


def decide(target: Target, history: Mapping[str, Past], cal: WorkCalendar, pol: PolicySettings,
           now: datetime) -> Verdict:
    """The stages to record now (sent or skipped) and the next time anything is due.

    ``history`` maps stage name -> Past for the target's current deadline only: an
    extension or a moved date starts a fresh ladder.
    """
    if target.state == AssignmentState.WAIVED:
        return Verdict((), None)
    if target.state in (AssignmentState.SUBMITTED, AssignmentState.RECEIVED):  # received: waiting for acceptance
        return _after_submission(target, history, cal, pol, now)
    stages = ladder(target, cal, pol)
    undecided = [s for s in stages if s.name not in history]
    due = [s for s in undecided if s.at <= now]
    future = [s for s in undecided if s.at > now]
    next_at = min((s.at for s in future), default=None)
    if not due:
        return Verdict((), next_at)
    slot = sending_slot(now, cal, pol)
    if slot > now:  # caught up at night or on a day off: wait for the next send hour
        return Verdict((), slot)
    newest = max(due, key=lambda s: s.order)
    decided = [s for s in stages if s.name in history]
    # A stage older than one already decided (a reminder added to the config
    # after a later one went out) would only repeat old news.
    superseded = any(s.order > newest.order for s in decided)
    out: list[StageDecision] = []
    for s in due:
        if s is newest and not superseded and (s.expires_at is None or now < s.expires_at):
            out.append(StageDecision(s.name, s.at, SENT, "due", routes(s.name, target, pol)))
        elif s is newest:
            out.append(StageDecision(s.name, s.at, SKIPPED, "superseded" if superseded else "expired"))
        else:
            # Same instant: two reminders moved onto one day. Earlier: missed while
            # the daemon was down. Either way the newer stage carries the news.
            out.append(StageDecision(s.name, s.at, SKIPPED, "collision" if s.at == newest.at else "catch-up"))
    return Verdict(tuple(out), next_at)


def _after_submission(target: Target, history: Mapping[str, Past], cal: WorkCalendar, pol: PolicySettings,
                      now: datetime) -> Verdict:
    submitted = target.submitted_at
    if submitted is None or submitted <= target.due_at:
        return Verdict((), None)
    acks = [p for name, p in history.items() if is_acknowledgement(name)]
    # Acknowledged already, unless what was acknowledged has since been returned and
    # this is a new submission: then it gets its own acknowledgement.
    if any(p.scheduled_at is None or p.scheduled_at == submitted for p in acks):
        return Verdict((), None)
    stage = RESOLVED if not acks else f"{RESOLVED}:{len(acks) + 1}"
    to = routes(RESOLVED, target, pol, history)
    if not to:  # nobody was escalated to: nothing to close
        return Verdict((), None)
    if submitted > now:  # recorded ahead of the clock (a replay): wait for it
        return Verdict((), submitted)
    slot = sending_slot(now, cal, pol)
    if slot > now:
        return Verdict((), slot)
    return Verdict((StageDecision(stage, submitted, SENT, RESOLVED, to),), None)


_UNIT = "\x00"  # stands for the unit in a verdict shared by the units of one deadline


def shared_key(t: Target) -> tuple:
    """Every field of a target but its unit, as a plain tuple: a copy of the target per
    assignment (dataclasses.replace) cost more than sharing the verdict saved."""
    return (t.kind, t.due_at, t.coordinator, t.ends_at, t.state, t.submitted_at, t.reminders, t.escalation)


def decide_shared(target: Target, history: Mapping[str, Past], cal: WorkCalendar, pol: PolicySettings,
                  now: datetime, cache: dict) -> Verdict:
    """``decide``, computed once for all the targets that differ only in their unit.

    After a mass import every unit of a deadline has the same ladder, the same
    (empty) history and the same verdict but for the unit named in its routes;
    a pass deciding 600,000 assignments spent most of its time here. ``cache``
    belongs to one pass (one ``now``)."""
    key = (shared_key(target), tuple(sorted(history.items())) if history else (), now)
    shared = cache.get(key)
    if shared is None:
        shared = cache[key] = decide(replace(target, unit=_UNIT), history, cal, pol, now)
    if not any(_UNIT in r for d in shared.decisions for r in d.routes):
        return shared
    own = tuple(replace(d, routes=tuple(r.replace(_UNIT, target.unit) for r in d.routes)) if d.routes else d
                for d in shared.decisions)
    return Verdict(own, shared.next_action_at)
