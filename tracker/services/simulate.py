"""Every message the scheduler would send over a period, from the current store.

As if the daemon ran continuously from ``start`` and nobody submitted anything
more: the same pure policy and the same grouping into digests as ``tick``
(services/dispatch.py), replayed in memory at each instant a stage falls due.
It reads in one read-only transaction (one snapshot) and writes nothing.

Memory is bounded by the work near the simulated clock, not by the store:

- messages are yielded one at a time, in send order, and nothing of a message
  is kept once the caller has it (the CLI prints as it goes);
- assignments enter the simulation when the clock reaches them: the stored ones
  are read in chunks from one cursor in the order of their next action (the
  tick's own index, ``ix_assignments_next_action_at``), the periods the daemon
  would materialise on the way are made per obligation and period when their
  first stage comes; an assignment whose context is not made yet costs nothing;
- an assignment leaves as soon as it has nothing left to do by ``end``, with
  its context and history.

So a year at 1.05M assignments holds the few tens of thousands whose ladders
are under way at any one time, never every assignment with work left in the
year (213 MB, most of it histories that grew all year, before this).

Periods beyond each obligation's high-water mark, up to the horizon as seen
from ``end``, are simulated too, so a preview of next year is not silently
empty.

Within one instant the assignments are decided in a fixed order (stored ones
by next action and id, then the new periods by obligation, unit and period):
the order in which digests gather their addresses, as when they were all read
up front.
"""

from __future__ import annotations

import heapq
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core import policy
from tracker.core.digest import Digest, DigestItem
from tracker.core.errors import InputError
from tracker.core.schedule import occurrences
from tracker.core.states import AssignmentState
from tracker.services.dispatch import Context, Directory, Send, group_digests, load_history, make_context
from tracker.services.links import digest_links
from tracker.services.materialise import horizon_end, responsible_units, rule_of
from tracker.services.runtime import Runtime
from tracker.store.models import Obligation
from tracker.store.tables import assignments, obligations, plans

_CHUNK = 500  # stored assignments read (and their histories queried) at a time


@dataclass(frozen=True)
class Message:
    at: datetime
    digest: Digest
    subject: str

    def items(self) -> list[DigestItem]:
        return self.digest.ordered()

    def to_json(self, tz) -> dict:
        """The shape of docs/cli.md (``simulate --json``), one object per message."""
        d = self.digest
        return {
            "at": self.at.astimezone(tz).isoformat(), "to": list(d.to), "cc": list(d.cc),
            "recipient_unit": d.recipient_unit, "subject": self.subject,
            "items": [i.to_json(tz) for i in self.items()],
        }


def simulate(rt: Runtime, start: datetime, end: datetime) -> Iterator[Message]:
    """Messages in send order (time, then recipient) for passes in [start, end],
    yielded as they are made."""
    if end < start:
        raise InputError("--to is before --from", "--to")
    return _messages(rt, start, end)


class _Live:
    """One assignment under way: its context and what was decided for its current deadline.
    Compared by identity: it is the handle of its sends (``Send.ref``)."""

    __slots__ = ("ctx", "history")

    def __init__(self, ctx: Context, history: dict[str, policy.Past] | None) -> None:
        self.ctx = ctx
        self.history = history  # None until something is decided


_NONE: dict[str, policy.Past] = {}  # the history of an assignment nothing was decided for (never written)


class _Histories:
    """What was decided for each assignment under way, recorded as the policy will read it.

    An open assignment's history is read again only by stage name (decided or not):
    its state never changes in a simulation. So the open ones that recorded the same
    stages (every unit of one deadline, mostly) share one dict, never written once
    shared: tens of thousands of assignments under way hold a handful of dicts. Any
    other keeps its own with the recipients (an acknowledgement goes to whoever was
    escalated to), and has nothing left to do once acknowledged."""

    def __init__(self) -> None:
        self._shared: dict[frozenset, dict[str, policy.Past]] = {}

    def record(self, live: _Live, decided: list[tuple[str, str, tuple[str, ...], datetime | None]]) -> None:
        if live.ctx.target.state != AssignmentState.OPEN:
            history = live.history = live.history if live.history is not None else {}
            for stage, outcome, routes, scheduled_at in decided:
                history[stage] = policy.Past(outcome, routes, scheduled_at)
            return
        outcomes = {stage: past.outcome for stage, past in (live.history or _NONE).items()}
        outcomes.update((stage, outcome) for stage, outcome, _, _ in decided)
        key = frozenset(outcomes.items())
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = {stage: policy.Past(outcome) for stage, outcome in outcomes.items()}
        live.history = shared


def _messages(rt: Runtime, start: datetime, end: datetime) -> Iterator[Message]:
    from tracker.render.mail import render_subject

    cal, pol = rt.calendar, policy.PolicySettings.from_settings(rt.settings)
    with rt.store.read() as session:
        directory = Directory(tuple(rt.settings.escalation.leadership), links=digest_links(rt.settings))
        directory.load_all(session)
        units_by_id = {c.id: (code, c.name) for code, c in directory.units.items()}
        arrivals = [_Stored(session, start, end, units_by_id), _Fresh(rt, session, start, end, directory, cal, pol)]
        # (time, order within the instant, assignment): popped in decision order; the
        # order is unique, so assignments are never compared.
        queue: list[tuple[datetime, tuple, _Live]] = []
        histories = _Histories()
        while True:
            at = queue[0][0] if queue else None
            for source in arrivals:
                t = source.next_at()
                if t is not None and (at is None or t < at):
                    at = t
            if at is None or at > end:
                break
            # The first pass at ``start`` catches up what was due and never decided,
            # as the real daemon does on start-up; then one pass at each stage time.
            for source in arrivals:
                source.enter(at, queue)
            due: list[tuple[datetime, tuple, _Live]] = []
            while queue and queue[0][0] == at:
                due.append(heapq.heappop(queue))
            sends: list[Send] = []
            for _, order, live in due:
                ctx = live.ctx
                verdict = policy.decide(ctx.target, live.history or _NONE, cal, pol, at)
                if verdict.decisions:
                    histories.record(live, [(d.stage, d.outcome, d.routes, d.scheduled_at)
                                            for d in verdict.decisions])
                    for d in verdict.decisions:
                        if d.outcome == policy.SENT:
                            sends.append(Send((live, d.stage), _item(ctx, d.stage, directory), d.routes,
                                              ctx.target.coordinator))
                nxt = verdict.next_action_at
                if nxt is not None and nxt <= end:  # else it has nothing left to do here: it leaves
                    heapq.heappush(queue, (max(nxt, at), order, live))
            del due
            grouped = group_digests(at, sends, directory)
            for live, stage in grouped.unroutable:  # as the tick records them: skipped, no address
                histories.record(live, [(stage, policy.SKIPPED, (), None)])
            del sends
            for digest in grouped.digests:
                yield Message(at, digest, render_subject(digest, rt.settings))


def _item(ctx: Context, stage: str, directory: Directory) -> DigestItem:
    """The item with the office it reports to, as group_digests would set it: made
    once here, not copied per route (an instant after a mass of deadlines sends
    tens of thousands)."""
    item = ctx.item(stage)
    coord = directory.units.get(ctx.target.coordinator)
    return replace(item, report_to=coord.name) if coord is not None else item


class _Stored:
    """The stored assignments with something left to do by ``end``, read from one
    cursor in the order of their next action, a chunk (and its histories) at a time."""

    def __init__(self, session: Session, start: datetime, end: datetime,
                 units_by_id: dict[int, tuple[str, str]]) -> None:
        conn = session.connection()
        self._conn, self._start, self._units = conn, start, units_by_id
        self._obs = {o.id: o for o in conn.execute(select(obligations))}
        self._plans = {p.id: p for p in conn.execute(select(plans))}
        a = assignments.c
        query = (select(a.id, a.obligation_id, a.unit_id, a.period, a.kind, a.due_at, a.ends_at, a.state,
                        a.submitted_at, a.next_action_at, a.extended_until)
                 .where(a.next_action_at.is_not(None), a.next_action_at <= end).order_by(a.next_action_at, a.id))
        self._pages = conn.execute(query.execution_options(yield_per=_CHUNK)).partitions()
        self._page: list = []
        self._history: dict[int, dict[str, policy.Past]] = {}
        self._same: dict = {}  # equal dates of one page as one object: thousands of units share a deadline
        self._next = 0  # the first row of the page not entered yet
        self._seq = 0  # rows entered so far: their order within an instant

    def next_at(self) -> datetime | None:
        if self._next == len(self._page):
            self._page = next(self._pages, [])
            self._history = load_history(self._conn, self._page)
            self._same = {}
            self._next = 0
            if not self._page:
                return None
        # An assignment the store holds back (an extension waits for the send hour) starts then.
        return max(self._start, self._page[self._next].next_action_at)

    def enter(self, at: datetime, queue: list) -> None:
        while (t := self.next_at()) is not None and t <= at:
            r = self._page[self._next]
            self._next += 1
            ob = self._obs[r.obligation_id]
            code, name = self._units[r.unit_id]
            same = self._same
            ctx = make_context(ob=ob, plan=self._plans[ob.plan_id], unit_code=code, unit_name=name,
                               period=sys.intern(r.period), kind=sys.intern(r.kind),
                               due_at=same.setdefault(r.due_at, r.due_at),
                               ends_at=r.ends_at and same.setdefault(r.ends_at, r.ends_at), state=sys.intern(r.state),
                               submitted_at=r.submitted_at, extended=r.extended_until is not None)
            heapq.heappush(queue, (t, (0, self._seq), _Live(ctx, self._history.pop(r.id) or None)))
            self._seq += 1


class _Fresh:
    """The periods the daemon would materialise on the way (beyond each obligation's
    high-water mark, up to the horizon as seen from ``end``): one context per
    responsible unit, made when the period's first stage comes."""

    def __init__(self, rt: Runtime, session: Session, start: datetime, end: datetime, directory: Directory,
                 cal, pol: policy.PolicySettings) -> None:
        until = horizon_end(rt, end)
        shift = rt.settings.calendar.shift
        names = {code: (code, c.name) for code, c in directory.units.items()}  # one string per unit, shared
        # (first pass, obligation's rank, period's rank, obligation, units, occurrence), by time
        self._periods: list[tuple] = []
        query = select(Obligation).where(Obligation.retired.is_(False)).order_by(Obligation.id)
        for rank, ob in enumerate(session.scalars(query)):
            if ob.materialised_until is not None and ob.materialised_until >= until:
                continue
            rule = rule_of(ob, ob.plan, shift)
            done: set[str] = set()
            if ob.materialised_until is not None:
                done = {o.period for o in occurrences(rule, until=ob.materialised_until, calendar=rt.calendar,
                                                      tz=rt.tz)}
            fresh = [o for o in occurrences(rule, until=until, calendar=rt.calendar, tz=rt.tz) if o.period not in done]
            if not fresh:
                continue
            unit_list = tuple(names.get(u.code, (u.code, u.name)) for u in responsible_units(session, ob, ob.plan))
            for occ_rank, occ in enumerate(fresh):
                # The ladder is the same for every unit; before its first stage the
                # policy has nothing to say, so the period starts then (or at ``start``).
                probe = make_context(ob=ob, plan=ob.plan, unit_code="", unit_name="", period=occ.period,
                                     kind=ob.kind, due_at=occ.due_at, ends_at=occ.ends_at)
                first = policy.initial_action_at(probe.target, cal, pol)
                if first is not None and max(first, start) <= end:
                    self._periods.append((max(first, start), rank, occ_rank, ob, unit_list, occ))
        self._periods.sort(key=lambda p: p[:3])
        self._periods.reverse()  # popped from the end, earliest first

    def next_at(self) -> datetime | None:
        return self._periods[-1][0] if self._periods else None

    def enter(self, at: datetime, queue: list) -> None:
        while self._periods and self._periods[-1][0] <= at:
            t, rank, occ_rank, ob, unit_list, occ = self._periods.pop()
            for unit_rank, (code, name) in enumerate(unit_list):
                ctx = make_context(ob=ob, plan=ob.plan, unit_code=code, unit_name=name, period=occ.period,
                                   kind=ob.kind, due_at=occ.due_at, ends_at=occ.ends_at)
                heapq.heappush(queue, (t, (1, rank, unit_rank, occ_rank), _Live(ctx, None)))
