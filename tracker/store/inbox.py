"""The inbox table: one row per mailbox message, its only writer.

A message is claimed by inserting its row, in the same transaction as whatever
it causes (a submission, a bounce mark, a notice): the unique keys (the
mailbox position: mailbox + UIDVALIDITY + UID; and the Message-ID) make a
second reader's insert fail, its transaction roll back, and nothing happen
twice, across passes, restarts and several daemons. A crash before the commit
leaves no row, so the next pass reads the message again.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tracker.core.inbound import InboxState
from tracker.store.tables import inbox as T


class Claim(Enum):
    NEW = "new"  # the row is ours: act on the message in this transaction
    SEEN = "seen"  # this mailbox position was processed before
    DUPLICATE = "duplicate"  # another copy of a message processed before (same Message-ID)


# One statement, compiled once: the row's values are parameters (every row has every column).
_INSERT = insert(T).returning(T.c.id)


def seen_uids(conn: Connection, mailbox: str, uidvalidity: int) -> set[int]:
    """The UIDs of this mailbox (and UIDVALIDITY) already processed."""
    return set(conn.scalars(select(T.c.uid).where(T.c.mailbox == mailbox, T.c.uidvalidity == uidvalidity)))


def claim(conn: Connection, row: dict[str, Any]) -> tuple[Claim, int | None]:
    """Insert the message's row (inside the caller's transaction); say whether it is new."""
    try:
        if conn.dialect.name == "postgresql":  # a failed statement aborts the transaction there
            with conn.begin_nested():
                new_id = conn.execute(_INSERT, row).scalar_one()
        else:  # SQLite undoes the failed statement alone: no savepoint to pay for
            new_id = conn.execute(_INSERT, row).scalar_one()
        return Claim.NEW, new_id
    except IntegrityError:
        pass
    c = T.c
    if conn.scalar(select(c.id).where(c.mailbox == row["mailbox"], c.uidvalidity == row["uidvalidity"],
                                      c.uid == row["uid"])) is not None:
        return Claim.SEEN, None
    first = conn.scalar(select(c.id).where(c.message_id == row["message_id"]))
    # Remember the position too, so the copy is not fetched again at every pass.
    dup = {**row, "message_id": None, "state": InboxState.DUPLICATE.value,
           "reason": f"same Message-ID as inbox message {first}", "detail": None}
    try:
        with conn.begin_nested():
            conn.execute(_INSERT, dup)
    except IntegrityError:  # another reader took this position meanwhile
        return Claim.SEEN, None
    return Claim.DUPLICATE, first


def set_outcome(conn: Connection, inbox_id: int, **values: Any) -> None:
    conn.execute(update(T).where(T.c.id == inbox_id).values(**values))


def waiting_count(conn: Connection) -> int:
    """Messages in the review queue (the coordinator's digest says how many)."""
    return conn.scalar(select(func.count()).select_from(T).where(T.c.state == InboxState.REVIEW.value)) or 0


def list_messages(conn: Connection, states: tuple[str, ...] | None = None, limit: int | None = None) -> list[Any]:
    query = select(T).order_by(T.c.id)
    if states:
        query = query.where(T.c.state.in_(states))
    if limit:
        query = query.limit(limit)
    return list(conn.execute(query))


def get(conn: Connection, inbox_id: int) -> Any:
    return conn.execute(select(T).where(T.c.id == inbox_id)).first()


def resolve(conn: Connection, inbox_id: int, state: InboxState, now: datetime, actor: str,
            detail: dict | None = None) -> bool:
    """Take one message out of the review queue; False if it was not waiting there
    (a conditional update: two coordinators cannot both resolve it)."""
    values: dict[str, Any] = {"state": state.value, "resolved_at": now, "resolved_by": actor}
    if detail is not None:
        values["detail"] = detail
    result = conn.execute(update(T).where(T.c.id == inbox_id, T.c.state == InboxState.REVIEW.value).values(**values))
    return result.rowcount == 1
