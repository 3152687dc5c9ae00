"""The decisions table: its only writer (docs/architecture.md, "One writer per table").

A decision is what the scheduler decided for one stage of one assignment's
deadline, recorded before anything is sent ("decide, record, then deliver"),
under the unique key (assignment, due date, stage): a duplicate fails the
batch's transaction instead of sending twice.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy.engine import Connection

from tracker.store import bulk
from tracker.store.tables import decisions as T

# The order of ``record_many``'s tuples.
COLUMNS = ("assignment_id", "due_at", "stage", "scheduled_at", "decided_at", "outcome", "recipients", "outbox_id")


def record_many(conn: Connection, rows: list[Sequence[Any]]) -> None:
    """A batch's decisions (tuples in ``COLUMNS`` order), one executemany: after a
    mass import a pass records millions, and per-row ORM or Core bookkeeping
    measured more than the database's own work (store/bulk.py)."""
    bulk.insert_many(conn, T, COLUMNS, rows)
