"""Every message the scheduler would send over a period, from the current store.

As if the daemon ran continuously from ``start`` and nobody submitted anything
more: the same pure policy and the same grouping into digests as ``tick``
(services/dispatch.py), replayed in memory at each instant a stage falls due.
It reads in one read-only session and writes nothing.

The messages are yielded one at a time, in send order, and nothing of a
message is kept once the caller has it: the CLI prints as it goes, so a year
at a national store's size runs in bounded memory. What stays in memory is
the schedule itself: per assignment with something left to do, a compact
context and its recorded stages (Core rows, not ORM objects, which took most
of the 729 MB a year at 1.1M assignments used).

Assignments the daemon would materialise on the way (periods beyond each
obligation's high-water mark, up to the horizon as seen from ``end``) are
simulated too, so a preview of next year is not silently empty.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core import policy
from tracker.store.models import Obligation
from tracker.store.tables import assignments, obligations, plans, units
from tracker.core.digest import Digest, DigestItem
from tracker.core.errors import InputError
from tracker.services.dispatch import Context, Directory, Send, group_digests, load_history, make_context
from tracker.services.materialise import horizon_end, responsible_units, rule_of
from tracker.core.schedule import occurrences
from tracker.services.links import digest_links
from tracker.services.runtime import Runtime

_CHUNK = 500  # ids per IN (...) list


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


def _messages(rt: Runtime, start: datetime, end: datetime) -> Iterator[Message]:
    from tracker.render.mail import render_subject

    with rt.store.read() as session:
        contexts, histories, first_at = _existing(session, end)
        contexts += _not_yet_materialised(rt, session, end)
        histories += [None] * (len(contexts) - len(histories))
        directory = Directory(tuple(rt.settings.escalation.leadership), links=digest_links(rt.settings))
        directory.load_all(session)
    cal, pol = rt.calendar, policy.PolicySettings.from_settings(rt.settings)
    # The first pass at ``start`` catches up what was due and never decided, as
    # the real daemon does on start-up; then one pass at each stage time.
    # An assignment the store holds back (an extension waits for the send hour) starts then.
    queue = [(max(start, first_at[i]) if i < len(first_at) else start, i) for i in range(len(contexts))]
    heapq.heapify(queue)
    while queue and queue[0][0] <= end:
        at = queue[0][0]
        due: list[int] = []
        while queue and queue[0][0] == at:
            due.append(heapq.heappop(queue)[1])
        sends: list[Send] = []
        for i in sorted(due):
            ctx, history = contexts[i], histories[i] or _NONE
            verdict = policy.decide(ctx.target, history, cal, pol, at)
            if verdict.decisions and histories[i] is None:
                history = histories[i] = {}
            for d in verdict.decisions:
                history[d.stage] = policy.Past(d.outcome, d.routes, d.scheduled_at)
                if d.outcome == policy.SENT:
                    sends.append(Send((i, d.stage), ctx.item(d.stage), d.routes, ctx.target.coordinator))
            if verdict.next_action_at is not None:
                heapq.heappush(queue, (max(verdict.next_action_at, at), i))
        grouped = group_digests(at, sends, directory)
        for i, stage in grouped.unroutable:  # as the tick records them: skipped, no address
            histories[i][stage] = policy.Past(policy.SKIPPED)
        del sends
        for digest in grouped.digests:
            yield Message(at, digest, render_subject(digest, rt.settings))


_NONE: dict[str, policy.Past] = {}  # the history of an assignment nothing was decided for (never written)


def _existing(session: Session, end: datetime) -> tuple[list[Context], list[dict[str, policy.Past] | None],
                                                        list[datetime]]:
    """Assignments with something left to do by ``end`` (the tick's own index), with
    their history and when the store next looks at them; read in pages of Core
    rows, kept as contexts only."""
    conn = session.connection()
    obs = {o.id: o for o in conn.execute(select(obligations))}
    plans_ = {p.id: p for p in conn.execute(select(plans))}
    a, u = assignments.c, units.c
    query = (select(a.id, a.obligation_id, a.period, a.kind, a.due_at, a.ends_at, a.state, a.submitted_at,
                    a.next_action_at, a.extended_until, u.code.label("unit_code"), u.name.label("unit_name"))
             .join_from(assignments, units, u.id == a.unit_id)
             .where(a.next_action_at.is_not(None), a.next_action_at <= end).order_by(a.next_action_at, a.id))
    contexts: list[Context] = []
    histories: list[dict[str, policy.Past] | None] = []
    first_at: list[datetime] = []
    page: list = []

    def flush() -> None:
        history = load_history(conn, page)
        for r in page:
            ob = obs[r.obligation_id]
            contexts.append(make_context(ob=ob, plan=plans_[ob.plan_id], unit_code=r.unit_code,
                                         unit_name=r.unit_name, period=r.period, kind=r.kind, due_at=r.due_at,
                                         ends_at=r.ends_at, state=r.state, submitted_at=r.submitted_at,
                                         extended=r.extended_until is not None))
            histories.append(dict(history[r.id]) or None)
            first_at.append(r.next_action_at)
        page.clear()

    for r in conn.execute(query.execution_options(yield_per=_CHUNK)):
        page.append(r)
        if len(page) == _CHUNK:
            flush()
    flush()
    return contexts, histories, first_at


def _not_yet_materialised(rt: Runtime, session: Session, end: datetime) -> Iterable[Context]:
    until = horizon_end(rt, end)
    shift = rt.settings.calendar.shift
    for ob in session.scalars(select(Obligation).where(Obligation.retired.is_(False))):
        if ob.materialised_until is not None and ob.materialised_until >= until:
            continue
        rule = rule_of(ob, ob.plan, shift)
        done: set[str] = set()
        if ob.materialised_until is not None:
            done = {o.period for o in occurrences(rule, until=ob.materialised_until, calendar=rt.calendar, tz=rt.tz)}
        fresh = [o for o in occurrences(rule, until=until, calendar=rt.calendar, tz=rt.tz) if o.period not in done]
        if not fresh:
            continue
        for unit in responsible_units(session, ob, ob.plan):
            for occ in fresh:
                yield make_context(ob=ob, plan=ob.plan, unit_code=unit.code, unit_name=unit.name,
                                   period=occ.period, kind=ob.kind, due_at=occ.due_at, ends_at=occ.ends_at)
