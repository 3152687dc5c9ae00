"""The decisions table: its only writer (docs/architecture.md, "One writer per table").

A decision is what the scheduler decided for one stage of one assignment's
deadline, recorded before anything is sent ("decide, record, then deliver"),
under the unique key (assignment, due date, stage): a duplicate fails the
batch's transaction instead of sending twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Row

from tracker.store import bulk
from tracker.store.tables import decisions as T

# The order of ``record_many``'s tuples.
COLUMNS = ("assignment_id", "due_at", "stage", "scheduled_at", "decided_at", "outcome", "recipients", "outbox_id")


def record_many(conn: Connection, rows: list[Sequence[Any]]) -> None:
    """A batch's decisions (tuples in ``COLUMNS`` order), one executemany: after a
    mass import a pass records millions, and per-row ORM or Core bookkeeping
    measured more than the database's own work (store/bulk.py)."""
    bulk.insert_many(conn, T, COLUMNS, rows)


# PostgreSQL: one index probe per assignment, whatever the statistics say. The
# plain ``assignment_id IN (...)`` is planned on decisions' statistics, and a
# table that grew within the pass (a first tick after a mass import adds
# millions of rows to an empty table) has none: the planner chose a sequential
# scan, 307 ms a batch at 5.2M rows, so the pass grew with the square of what was
# due. ``OFFSET 0`` keeps the planner from flattening the lateral subquery back
# into that join; the array is one parameter, so the statement is planned once.
PG_HISTORY = text(
    "SELECT d.assignment_id, d.due_at, d.stage, d.outcome, d.recipients, d.scheduled_at "
    "FROM unnest(CAST(:ids AS integer[])) AS x(id) CROSS JOIN LATERAL "
    "(SELECT * FROM decisions WHERE decisions.assignment_id = x.id OFFSET 0) AS d"
).columns(T.c.assignment_id, T.c.due_at, T.c.stage, T.c.outcome, T.c.recipients, T.c.scheduled_at)


def of_current_deadlines(conn: Connection, due_at: dict[int, datetime]) -> Iterator[Row]:
    """The recorded decisions of each assignment's current deadline (``due_at``: assignment
    id -> deadline; an extension starts a fresh ladder, so older deadlines' stages are left
    out): assignment_id, due_at, stage, outcome, recipients, scheduled_at."""
    if not due_at:
        return
    if conn.dialect.name == "postgresql":
        rows = conn.execute(PG_HISTORY, {"ids": list(due_at)})
    else:
        c = T.c
        rows = conn.execute(select(c.assignment_id, c.due_at, c.stage, c.outcome, c.recipients, c.scheduled_at)
                            .where(c.assignment_id.in_(list(due_at))))
    for row in rows:
        if row.due_at == due_at[row.assignment_id]:
            yield row
