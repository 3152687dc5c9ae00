"""Delivery's statements on the outbox: claim a due row under a lease, record
what its attempt did, rewrite a claimed row whose items went stale.

Any number of deliverers, on SQLite or PostgreSQL, run these at once: a claim
is a conditional UPDATE only one of them wins; an outcome is recorded only
while its worker still holds the claim. The lease is judged on the database's
clock (``database_now``, ``leased_at``), never on a process's. What to send
and how to judge the reply is services/delivery.py and services/outcomes.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, bindparam, case, func, literal, or_, select, true, update
from sqlalchemy.engine import Connection

from tracker.core.states import OutboxState
from tracker.store.tables import outbox as T

if TYPE_CHECKING:
    from tracker.core.outgoing import Rendered


# --- the database's clock and a claimed row's rewrite ------------------------------

def database_now(conn: Connection) -> datetime:
    """The database's own clock (UTC, aware). Leases are judged on it: every
    deliverer shares it, whatever its own clock or ``--now`` says."""
    if conn.dialect.name == "postgresql":
        return conn.scalar(select(func.clock_timestamp())).astimezone(timezone.utc)
    text = conn.scalar(select(func.strftime("%Y-%m-%d %H:%M:%f", "now")))
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def rewrite_claimed(conn: Connection, outbox_id: int, worker: str, rendered: Rendered, items: list[dict]) -> bool:
    """Replace a claimed message's words and items (some went stale while it was
    queued); only while ``worker`` holds the claim. True if it did."""
    result = conn.execute(
        update(T).where(T.c.id == outbox_id, T.c.claimed_by == worker)
        .values(subject=rendered.subject, body_text=rendered.text, body_html=rendered.html, items=items)
    )
    return result.rowcount == 1


# --- delivery: claim a due row, record what its attempt did -------------------------

LEASE = timedelta(minutes=10)  # a claim older than this (on the database's clock) is a dead daemon's


def _claimable(due_by, stale_before):
    """Queued (or uncertain) and due, or claimed by a daemon whose lease ran out
    (it died mid-send): ``due_by`` is the pass's ``now``, ``stale_before`` is on
    the database's clock. Takes values or bind parameters: the listing and the
    claim share one rule."""
    S = OutboxState
    return or_(
        and_(T.c.state.in_([S.QUEUED, S.UNCERTAIN]),
             or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= due_by)),
        and_(T.c.state == S.SENDING, T.c.leased_at < stale_before),
    )


def due_ids(conn: Connection, now: datetime, limit: int, db_now: datetime) -> list[int]:
    """The ids a pass at ``now`` may claim, oldest due first (``db_now``: the database's clock, for leases)."""
    rows = conn.execute(
        select(T.c.id).where(_claimable(now, db_now - LEASE)).order_by(T.c.next_attempt_at, T.c.id).limit(limit)
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Claimed:
    """A claimed row: what sending it needs, read in the claiming statement itself."""

    id: int
    key: str
    message_id: str | None  # None until the first outcome is recorded: the deliverer derives it from the row
    attempts: int
    claimed_by: str
    to_addrs: list[str]
    cc_addrs: list[str]
    reply_to: list[str]
    subject: str
    body_text: str
    body_html: str | None
    failed_recipients: list[str] | None
    unknown_outcomes: int
    pending_recipients: list[str] | None
    items: list[dict] | None
    created_at: datetime  # the message's Date: the same on every attempt
    recipient_unit: str | None
    attachment_name: str | None = None
    attachment: bytes | None = None


_CLAIMED_COLUMNS = [T.c[f.name] for f in Claimed.__dataclass_fields__.values()]


class Result(NamedTuple):
    """What an attempt leaves on its row (services/outcomes.py decides it)."""

    outbox_id: int
    worker: str  # recorded only while this worker still holds the claim
    state: str  # an OutboxState: sent | failed | queued (retry) | uncertain | unconfirmed | withdrawn
    next_attempt_at: datetime | None
    error: str | None
    sent_at: datetime | None
    failed_recipients: list[str] | None
    message_id: str
    unknown_outcomes: int
    pending_recipients: list[str] | None


def _claim_params(outbox_id: int, due_by: datetime, worker: str, taken_at: datetime, leased_at: datetime) -> dict:
    return {"oid": outbox_id, "due_by": due_by, "stale_before": leased_at - LEASE, "w": worker, "taken_at": taken_at,
            "leased": leased_at}


def _result_params(result: Result | None, prefix: str = "") -> dict:
    """The record statement's parameters; no result: parameters that match no row."""
    if result is None:
        values = {"oid": None, "w": None, "new_state": None, "next_at": None, "error": None, "sent": None,
                  "failed": None, "mid": None, "unknown": 0, "pending": None}
    else:
        values = {"oid": result.outbox_id, "w": result.worker, "new_state": result.state,
                  "next_at": result.next_attempt_at, "error": result.error, "sent": result.sent_at,
                  "failed": result.failed_recipients, "mid": result.message_id, "unknown": result.unknown_outcomes,
                  "pending": result.pending_recipients}
    return {prefix + k: v for k, v in values.items()}


def _row(row) -> Claimed | None:
    return None if row is None or row.id is None else Claimed(**{n: getattr(row, n) for n in Claimed.__dataclass_fields__})


def claim_due(conn: Connection, outbox_id: int, *, due_by: datetime, worker: str, taken_at: datetime,
              leased_at: datetime) -> Claimed | None:
    """Take one row for ``worker``: a conditional UPDATE that only one claimant
    can win (UPDATE … RETURNING: SQLite >= 3.35 and PostgreSQL); None when it is
    not due or someone else has it. The attempt is counted here, so a message
    that crashes the daemon cannot loop forever.

    ``due_by`` decides what is due (the pass's clock); ``leased_at`` is the
    database's clock, on which leases are judged; ``taken_at`` is when the
    attempt started on the pass's clock (kept to date dead letters)."""
    params = _claim_params(outbox_id, due_by, worker, taken_at, leased_at)
    return _row(conn.execute(_statements()["claim"], params).first())


def record_result(conn: Connection, result: Result) -> bool:
    """Record an attempt's outcome and release the claim, if the row is still
    claimed by the attempt's worker; False: another daemon took it over, and
    records its own outcome."""
    return conn.execute(_statements()["record"], _result_params(result)).rowcount == 1


def record_then_claim(conn: Connection, result: Result | None, outbox_id: int, *, due_by: datetime, worker: str,
                      taken_at: datetime, leased_at: datetime) -> tuple[bool, Claimed | None]:
    """``record_result`` of the previous attempt and ``claim_due`` of the next row
    as one statement (two data-modifying CTEs), for PostgreSQL on an autocommit
    connection: one round trip and one commit per message instead of BEGIN, two
    UPDATEs and COMMIT (measured at 1.1M rows: 0.8-0.9 ms per message instead of
    1.1-1.3 ms). Returns (recorded, the claimed row)."""
    params = {**_claim_params(outbox_id, due_by, worker, taken_at, leased_at), **_result_params(result, "prev_")}
    row = conn.execute(_statements()["step"], params).one()
    return row.applied == 1, _row(row)


@lru_cache(maxsize=1)
def _statements() -> dict:
    """The statements of the delivery loop, built once with bind parameters:
    building and cache-keying a fresh SQLAlchemy construct per message cost ten
    times more than SQLite's own work (bench/mail_bench.py)."""
    S = OutboxState
    claimable = _claimable(bindparam("due_by"), bindparam("stale_before"))
    claim_stmt = (
        T.update().where(T.c.id == bindparam("oid"), claimable)
        .values(state=S.SENDING, claimed_by=bindparam("w", type_=T.c.claimed_by.type),
                claimed_at=bindparam("taken_at", type_=T.c.claimed_at.type), attempts=T.c.attempts + 1,
                leased_at=bindparam("leased", type_=T.c.leased_at.type),
                # Taking over a dead daemon's claim: it may have handed the message over.
                unknown_outcomes=case((T.c.state == S.SENDING, T.c.unknown_outcomes + 1),
                                      else_=T.c.unknown_outcomes))
        .returning(*_CLAIMED_COLUMNS)
    )
    # PostgreSQL: record the previous outcome and claim the next row in one statement.
    applied = _record_statement("prev_").returning(T.c.id).cte("applied")
    claimed = claim_stmt.cte("claimed")
    one = select(literal(1).label("one")).subquery("one")
    step = select(select(func.count()).select_from(applied).scalar_subquery().label("applied"),
                  *claimed.c).select_from(one.outerjoin(claimed, true()))
    return {"claim": claim_stmt, "record": _record_statement(""), "step": step}


def _record_statement(prefix: str):
    def param(name: str, column: str | None = None):
        return bindparam(prefix + name, type_=T.c[column].type) if column else bindparam(prefix + name)

    return (
        T.update().where(T.c.id == param("oid"), T.c.claimed_by == param("w"))
        .values(state=param("new_state", "state"), claimed_by=None, next_attempt_at=param("next_at", "next_attempt_at"),
                last_error=param("error", "last_error"), sent_at=param("sent", "sent_at"),
                failed_recipients=param("failed", "failed_recipients"), message_id=param("mid", "message_id"),
                unknown_outcomes=param("unknown", "unknown_outcomes"),
                pending_recipients=param("pending", "pending_recipients"))
    )
