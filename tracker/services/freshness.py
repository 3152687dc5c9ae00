"""Is a queued message still true when it is about to leave?

A message is decided and rendered when its stages fall due; it may leave much
later (an SMTP outage, a backoff). By then a unit may have submitted, the
coordinator may have waived or extended the deadline, or a reminder's moment
may have passed. Sending it anyway tells a unit that already submitted that it
is overdue, or sends yesterday's "due today" after today's "overdue".

So at delivery each item is checked against its assignment as it is now:

- its assignment is no longer open (submitted, waived) or its deadline moved:
  the item is dropped (a ``resolved`` item, the acknowledgement, always stays);
- a reminder before an instant (``before:N``, ``window:before:N``,
  ``event:before:N``) queued before that instant and leaving after it has
  expired while queued: dropped. (A reminder decided after its instant, a
  catch-up after downtime, was meant to leave late and stays.)
- ``window:start`` once the window has ended: dropped.
- a stage that a later stage of the same deadline has replaced while it was
  queued (``after:1`` waiting out an outage while ``after:2`` was decided):
  dropped, the newer stage carries the news, as when both fall due in one pass
  (core/policy.py ``decide``: only the newest due stage is sent).

What is left is rendered again; a message left with nothing is not sent.
Messages without items (tests, notices) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from tracker.core.digest import Digest, DigestItem
from tracker.core.outgoing import Rendered
from tracker.core.policy import is_acknowledgement
from tracker.core.states import AssignmentState, StageOutcome
from tracker.store import decisions as store_decisions
from tracker.store.tables import assignments, obligations, plans, units


@dataclass(frozen=True)
class Review:
    """What delivery should do with a claimed message: send it as it is (``rendered`` None),
    send ``rendered`` instead (``items`` are the JSON items it carries), or nothing (``empty``)."""

    dropped: tuple[str, ...] = ()  # why each dropped item went, for the row's last_error
    rendered: Rendered | None = None
    items: list[dict] | None = None

    @property
    def empty(self) -> bool:
        return self.items == []


UNCHANGED = Review()

_BEFORE = ("before:", "window:before:", "event:before:")


def review(conn: Connection, rt, row, now: datetime) -> Review:
    """Check ``row``'s items (an outbox row with ``items``, ``created_at``, ``key``…) at ``now``."""
    items = list(row.items or [])
    if not items:
        return UNCHANGED
    found = _assignments(conn, items)
    later = _sent_stages(conn, found.values())
    kept: list[tuple[_Current, str]] = []
    kept_json: list[dict] = []
    dropped: list[str] = []
    for entry in items:
        key = (entry.get("plan"), entry.get("obligation"), entry.get("unit"), entry.get("period"))
        current = found.get(key)
        if current is None:  # a retired unit or plan: keep what was decided, nothing to compare
            return UNCHANGED
        reason = _stale(entry, current, row.created_at, now) or _replaced(entry, current, later)
        if reason:
            dropped.append(f"{'/'.join(str(k) for k in key)} {entry.get('stage')}: {reason}")
            continue
        kept.append((current, entry["stage"]))
        kept_json.append(entry)
    if not dropped:
        return UNCHANGED
    if not kept:
        return Review(tuple(dropped), None, [])
    return _rendered_again(conn, rt, row, now, tuple(dropped), [c.item(stage) for c, stage in kept], kept_json)


def _rendered_again(conn: Connection, rt, row, now: datetime, dropped: tuple[str, ...], kept: list[DigestItem],
                    kept_json: list[dict]) -> Review:
    """The message without its dropped items: the kept ones are built from the store's rows only then."""
    from tracker.render.mail import render_digest

    name = kept[0].unit_name if row.recipient_unit and kept[0].unit == row.recipient_unit else \
        _unit_name(conn, row.recipient_unit)
    digest = Digest(key=row.key, at=now, recipient_unit=row.recipient_unit, recipient_name=name,
                    to=tuple(row.to_addrs or ()), cc=tuple(row.cc_addrs or ()),
                    reply_to=tuple(row.reply_to or ()), items=tuple(kept))
    return Review(tuple(dropped), render_digest(digest, rt.settings), kept_json)


def _stale(entry: dict, current, queued_at: datetime, now: datetime) -> str | None:
    stage = entry.get("stage") or ""
    if stage == "resolved":
        return None
    a = current.assignment
    if a.state != AssignmentState.OPEN:
        return f"the assignment is {a.state}"
    instant = a.due_at
    if entry.get("due") and datetime.fromisoformat(entry["due"]) != instant:
        return "its date changed"
    if stage.startswith(_BEFORE) and queued_at <= instant < now:
        return "its moment passed while it was queued"
    if stage == "window:start" and a.ends_at is not None and a.ends_at < now:
        return "the window has ended"
    return None


def _replaced(entry: dict, current, sent: dict[int, list[tuple[datetime, str, bool]]]) -> str | None:
    """A later stage of the same deadline was decided (to be sent) after this one:
    the newer carries the news. ``sent``: each assignment's decisions of its
    current deadline, (scheduled_at, stage, sent)."""
    stage = entry.get("stage") or ""
    if stage == "resolved":
        return None
    decided = sent.get(current.assignment.id, ())
    mine = next((at for at, name, _ in decided if name == stage), None)
    if mine is None:  # decided for an older deadline (``_stale`` says so) or not recorded: nothing to compare
        return None
    newer = [(at, name) for at, name, was_sent in decided
             if was_sent and at > mine and not is_acknowledgement(name)]  # resolved, resolved:2, ...
    if not newer:
        return None
    return f"a later stage ({max(newer)[1]}) replaced it while it was queued"


def _sent_stages(conn: Connection, found) -> dict[int, list[tuple[datetime, str, bool]]]:
    """The decisions of each assignment's current deadline: one query through the
    unique (assignment, deadline, stage) index, a few rows per assignment."""
    current = {c.assignment.id: c.assignment.due_at for c in found}
    out: dict[int, list[tuple[datetime, str, bool]]] = {}
    for r in store_decisions.of_current_deadlines(conn, current):
        out.setdefault(r.assignment_id, []).append((r.scheduled_at, r.stage, r.outcome == StageOutcome.SENT))
    return out


@dataclass(frozen=True)
class _Current:
    assignment: object
    rows: tuple  # assignment, obligation, plan, unit

    def item(self, stage: str) -> DigestItem:
        # Built only for a message that lost an item and is rendered again.
        from tracker.services.dispatch import context_of

        return context_of(*self.rows).item(stage)


def _assignments(conn: Connection, items: list[dict]) -> dict[tuple, _Current]:
    """The current assignment of each item, by (plan, obligation, unit, period) codes.

    The codes are resolved to ids first (each through its own unique index), then
    the assignments are read through their (obligation, unit, period) unique index:
    a few indexed lookups per message, whatever the size of the store. (One tuple
    IN over the joined code columns made SQLite scan every assignment.)"""
    keys = {(i.get("plan"), i.get("obligation"), i.get("unit"), i.get("period")) for i in items}
    a, o, p, u = assignments, obligations, plans, units
    params = {"plans": _padded({k[0] for k in keys}), "obligations": _padded({k[1] for k in keys}),
              "units": _padded({k[2] for k in keys}), "periods": _padded({k[3] for k in keys})}
    out: dict[tuple, _Current] = {}
    for r in conn.execute(_statement(), params):
        m = r._mapping
        rows = [_Row({c.name: m[c] for c in _columns(t)}) for t in (a, o, p, u)]
        key = (rows[2].code, rows[1].code, rows[3].code, rows[0].period)
        if key in keys:  # the IN lists also admit other combinations of the same codes
            out[key] = _Current(rows[0], tuple(rows))
    return out


def _padded(values) -> list:
    """``values`` sorted, the last repeated up to a power of two: an IN list of n
    values is a statement text of its own, and PostgreSQL plans each text anew
    until it has run it about ten times (1.2 ms of planning for 0.02 ms of work
    a message); a handful of lengths lets the prepared plans be reused."""
    out = sorted(values)
    size = 1
    while size < len(out):
        size *= 2
    return out + out[-1:] * (size - len(out))


@lru_cache(maxsize=1)
def _statement():
    """The check's statement, built once with expanding parameters: building
    and cache-keying a four-table join per message cost more than running it."""
    a, o, p, u = assignments, obligations, plans, units
    obligation_ids = select(o.c.id).select_from(o.join(p, o.c.plan_id == p.c.id)).where(
        p.c.code.in_(bindparam("plans", expanding=True)), o.c.code.in_(bindparam("obligations", expanding=True)))
    unit_ids = select(u.c.id).where(u.c.code.in_(bindparam("units", expanding=True)))
    found = (
        select(*_columns(a), *_columns(o), *_columns(p), *_columns(u))
        .select_from(a.join(o, a.c.obligation_id == o.c.id).join(p, o.c.plan_id == p.c.id)
                     .join(u, a.c.unit_id == u.c.id))
        .where(a.c.obligation_id.in_(obligation_ids), a.c.unit_id.in_(unit_ids),
               a.c.period.in_(bindparam("periods", expanding=True)))
    )
    return found


# A plan's unit list and an obligation's responsible list hold thousands of codes in a
# national plan: decoded for every message they were most of the check's time.
_UNREAD = {"plans": {"unit_codes"}, "obligations": {"responsible"}}


def _columns(table) -> list:
    return [c for c in table.c if c.name not in _UNREAD.get(table.name, ())]


class _Row:
    """Attribute access over one table's columns of a joined row (the names clash across tables)."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def _unit_name(conn: Connection, code: str | None) -> str:
    if code is None:
        return "Lãnh đạo"
    return conn.scalar(select(units.c.name).where(units.c.code == code)) or code
