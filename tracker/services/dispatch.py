"""Who gets what: from assignments and the policy's verdicts to digests.

The one code path shared by ``tick`` (which records and enqueues) and
``simulate`` (which only prints), so a preview shows exactly what the daemon
would send. Turning route keys into addresses and grouping items into one
digest per recipient and send time happens here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Hashable, Iterable, Mapping

from sqlalchemy import select

from tracker.store import decisions as store_decisions
from tracker.store.tables import units
from tracker.core.digest import Digest, DigestItem
from tracker.core.policy import LEADERSHIP, RESOLVED, Past, Target, stage_kind
from tracker.core.states import AssignmentState

if TYPE_CHECKING:
    from tracker.services.links import PageLinks

# Assignments, obligations, plans and units are read by attribute (``ob.report_to``),
# so these functions take ORM objects (imports, simulate) and Core rows (the tick)
# alike; ``conn`` is a Connection or a Session: only Core statements are run on it.
Row = Any


@dataclass(frozen=True, slots=True)  # one per assignment: a year's simulation holds 100,000s
class Context:
    """One assignment as the scheduler sees it: the policy's target and what a mail says about it."""

    target: Target
    plan: str
    plan_title: str
    obligation: str
    title: str
    source: str | None
    strict_before: bool
    unit_name: str
    period: str
    data_period: str | None = None
    plan_number: str | None = None
    plan_issued_on: Any = None
    submit_to: str | None = None
    extended: bool = False
    tz: str | None = None  # the plan's stored zone

    def item(self, stage: str) -> DigestItem:
        t = self.target
        stage = stage_kind(stage)  # a repeated acknowledgement (resolved:2) reads as resolved
        return DigestItem(
            plan=self.plan, plan_title=self.plan_title, obligation=self.obligation, title=self.title,
            kind=t.kind, unit=t.unit, unit_name=self.unit_name, period=self.period, stage=stage,
            due_at=t.due_at, ends_at=t.ends_at, source=self.source, strict_before=self.strict_before,
            submitted_at=t.submitted_at if stage == RESOLVED else None, data_period=self.data_period,
            plan_number=self.plan_number, plan_issued_on=self.plan_issued_on, submit_to=self.submit_to,
            extended=self.extended,
            tz=self.tz,
        )


def _tuple(values) -> tuple[int, ...] | None:
    return tuple(int(v) for v in values) if values is not None else None


def target_of(ob: Row, plan: Row, *, unit_code: str, kind: str, due_at: datetime,
              ends_at: datetime | None, state: str = AssignmentState.OPEN, submitted_at: datetime | None = None) -> Target:
    """The policy's view of one assignment (or of a period about to become one)."""
    coordinator, reminders, escalation = shared_by_obligation(ob, plan)
    return Target(
        kind=kind, due_at=due_at, unit=unit_code, coordinator=coordinator,
        ends_at=ends_at, state=state, submitted_at=submitted_at, reminders=reminders, escalation=escalation,
    )


def shared_by_obligation(ob: Row, plan: Row) -> tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]:
    """What every target of one obligation shares: the coordinator, the reminder and escalation ladders."""
    return ob.report_to or plan.coordinator_code, _tuple(ob.reminders), _tuple(ob.escalation)


def make_context(*, ob: Row, plan: Row, unit_code: str, unit_name: str, period: str, kind: str,
                 due_at: datetime, ends_at: datetime | None, state: str = AssignmentState.OPEN,
                 submitted_at: datetime | None = None, extended: bool = False) -> Context:
    target = target_of(ob, plan, unit_code=unit_code, kind=kind, due_at=due_at, ends_at=ends_at, state=state,
                       submitted_at=submitted_at)
    return Context(target, plan.code, plan.title, ob.code, ob.title, ob.source, bool(ob.strict_before),
                   unit_name, period, data_period_words(ob, plan, period), plan.number, plan.issued_on,
                   getattr(ob, "submit_to", None), extended,
                   getattr(plan, "timezone", None))


def data_period_words(ob: Row, plan: Row, period: str) -> str | None:
    """What a reminder says about the figures, for obligations that name a data period."""
    rule = getattr(ob, "data_period", None)
    if not rule:
        return None
    return _data_period_words(ob.first_date, ob.recurrence, plan.year, tuple(sorted(rule.items())), period)


@lru_cache(maxsize=4096)
def _data_period_words(first, recurrence: str, year: int, rule: tuple, period: str) -> str | None:
    from tracker.core.dataperiod import DataPeriodRule
    from tracker.core.schedule import ObligationDates, data_period
    from tracker.core.states import Kind

    dates = ObligationDates(Kind.DEADLINE, first, None, recurrence, year, data=DataPeriodRule.from_json(dict(rule)))
    try:
        found = data_period(dates, period)
    except ValueError:  # a period label the rule cannot place: say nothing rather than fail a reminder
        return None
    return found.words() if found else None


def context_of(a: Row, ob: Row, plan: Row, unit: Row) -> Context:
    """One assignment with its obligation, plan and unit."""
    return make_context(ob=ob, plan=plan, unit_code=unit.code, unit_name=unit.name, period=a.period,
                        kind=a.kind, due_at=a.due_at, ends_at=a.ends_at, state=a.state,
                        submitted_at=a.submitted_at, extended=a.extended_until is not None)


def load_history(conn, assignments: Iterable[Row]) -> dict[int, dict[str, Past]]:
    """Recorded decisions of each assignment's *current* deadline, one query per batch."""
    by_id = {a.id: a for a in assignments}
    history: dict[int, dict[str, Past]] = {i: {} for i in by_id}
    if not by_id:
        return history
    rows = store_decisions.of_current_deadlines(conn, {i: a.due_at for i, a in by_id.items()})
    for assignment_id, _, stage, outcome, recipients, scheduled_at in rows:
        history[assignment_id][stage] = Past(outcome, tuple(recipients or ()), scheduled_at)
    return history


@dataclass(frozen=True)
class Contact:
    name: str
    emails: tuple[str, ...]
    head_email: str | None
    bouncing: bool = False  # one of its addresses bounced (5.x.x): its head is copied
    id: int = 0
    link_version: int = 1


@dataclass
class Directory:
    """Unit addresses by code, loaded on demand, and the leadership list."""

    leadership: tuple[str, ...]
    units: dict[str, Contact] = field(default_factory=dict)
    # (unit id, link version) -> the unit's page URL, and its coordinator page
    # (services/links.py), or None: no [web] base_url, digests carry no link.
    links: PageLinks | None = None

    def link(self, code: str | None) -> str | None:
        contact = self.units.get(code) if code else None
        return self.links(contact.id, contact.link_version) if self.links and contact and contact.id else None

    def coordinator_link(self, code: str | None) -> str | None:
        """The coordinator page of unit ``code`` (its plans' matrix), when links are made."""
        contact = self.units.get(code) if code else None
        if not (self.links and contact and contact.id):
            return None
        return self.links.coordinator(contact.id, contact.link_version)

    def ensure(self, conn, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c not in self.units}
        if missing:
            self._load(conn, units.c.code.in_(missing))

    def load_all(self, conn) -> None:
        self._load(conn, None)

    def _load(self, conn, where) -> None:
        query = select(units.c.code, units.c.name, units.c.emails, units.c.head_email, units.c.bouncing, units.c.id,
                       units.c.link_version)
        for u in conn.execute(query if where is None else query.where(where)):
            emails = tuple(u.emails or ())
            bouncing = bool(u.bouncing) and any(a.lower() in u.bouncing for a in emails)
            self.units[u.code] = Contact(u.name, emails, u.head_email, bouncing, u.id, u.link_version)


@dataclass(frozen=True)
class Send:
    """One sent stage to dispatch: ``ref`` is the caller's handle on it."""

    ref: Hashable
    item: DigestItem | None  # None: only routed (the tick composes the items later, from the store)
    routes: tuple[str, ...]
    coordinator: str  # replies go to the office the obligation reports to


@dataclass
class Box:
    unit: str | None
    name: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    items: dict[tuple, DigestItem] = field(default_factory=dict)
    refs: dict[Hashable, None] = field(default_factory=dict)  # ordered set: membership is O(1)


def recipient_key(route: str) -> str:
    """``unit:X`` and ``head:X`` share one message (the head is in copy); the leadership list is one."""
    return LEADERSHIP if route == LEADERSHIP else "unit:" + route.split(":", 1)[1]


def digest_key(recipient: str, at: datetime) -> str:
    """The outbox key: unique per recipient and send time."""
    return f"{recipient}|{at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"


def _add(values: list[str], new: Iterable[str]) -> None:
    for v in new:
        if v and v not in values:
            values.append(v)


@dataclass(frozen=True)
class Grouped:
    digests: list[Digest]
    refs: dict[str, list[Hashable]]  # digest key -> the sends it carries
    unroutable: list[Hashable]  # sends with no address at all


def group_digests(at: datetime, sends: Iterable[Send], directory: Directory,
                  carried: Mapping[str, Digest] | None = None) -> Grouped:
    """One digest per recipient: everything one recipient gets at ``at`` in one message.

    ``carried`` holds the digests already enqueued in this same pass (by an earlier
    batch), by key: they are merged, so a recipient never gets two messages for one
    instant. Sends without an item (the tick's) are only routed: their digests carry
    no items, and no item is copied per recipient.
    """
    boxes: dict[str, Box] = {}
    routed: set[Hashable] = set()
    for send in sends:
        for route in send.routes:
            rkey = recipient_key(route)
            box = boxes.get(rkey)
            if box is None:
                box = boxes[rkey] = new_box(rkey, directory)
            route_to(box, route, send.coordinator, directory)
            box.refs.setdefault(send.ref, None)
            i = send.item
            if i is None:
                continue
            coord = directory.units.get(send.coordinator)
            if coord is not None and i.report_to is None:
                i = replace(i, report_to=coord.name)
            box.items.setdefault(_item_key(i), i)
    digests: list[Digest] = []
    refs: dict[str, list[Hashable]] = {}
    for rkey, box in sorted(boxes.items()):
        if not box.to:  # no unit address: the head (if any) becomes the addressee
            box.to, box.cc = box.cc, []
        if not box.to:
            continue
        key = digest_key(rkey, at)
        items = list(box.items.values())
        earlier = (carried or {}).get(key)
        if earlier is not None:  # merge with what an earlier batch of this pass enqueued
            _add(box.to, earlier.to)
            _add(box.cc, earlier.cc)
            _add(box.reply_to, earlier.reply_to)
            # A dict lookup per item: a coordinator's digest can carry thousands.
            items += [old for old in earlier.items if _item_key(old) not in box.items]
        cc = tuple(a for a in box.cc if a not in box.to)
        reply_to = tuple(a for a in box.reply_to if a not in box.to and a not in cc)
        digests.append(Digest(key, at, box.unit, box.name, tuple(box.to), cc, reply_to, tuple(items),
                              directory.link(box.unit)))
        refs[key] = list(box.refs)
        routed.update(box.refs)
    all_refs = [r for box in boxes.values() for r in box.refs]
    unroutable = [r for r in dict.fromkeys(all_refs) if r not in routed]
    return Grouped(digests, refs, unroutable)


def route_to(box: Box, route: str, coordinator: str, directory: Directory) -> None:
    """Add a route's addresses to its recipient's box (replies go to the coordinator)."""
    if route == LEADERSHIP:
        _add(box.to, directory.leadership)
    elif route.startswith("head:"):
        contact = directory.units.get(route[5:])
        _add(box.cc, [contact.head_email] if contact and contact.head_email else [])
    else:
        contact = directory.units.get(route[5:])
        _add(box.to, contact.emails if contact else ())
        if contact and contact.bouncing and contact.head_email:  # bounces are news: the head reads it
            _add(box.cc, [contact.head_email])
    coord = directory.units.get(coordinator)
    _add(box.reply_to, coord.emails if coord else ())


def final_addresses(box: Box) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """To, Cc, Reply-To of a finished box: no unit address makes the head the
    addressee; nobody appears twice. (To empty: nobody to send it to.)"""
    to, cc = (box.to, box.cc) if box.to else (box.cc, [])
    cc_ = tuple(a for a in cc if a not in to)
    return tuple(to), cc_, tuple(a for a in box.reply_to if a not in to and a not in cc_)


def _item_key(i: DigestItem) -> tuple:
    """One item per (plan, obligation, unit, period, stage) in a digest."""
    return (i.plan, i.obligation, i.unit, i.period, i.stage)


def new_box(rkey: str, directory: Directory) -> Box:
    if rkey == LEADERSHIP:
        return Box(None, "Lãnh đạo")
    code = rkey.split(":", 1)[1]
    contact = directory.units.get(code)
    return Box(code, contact.name if contact else code)
