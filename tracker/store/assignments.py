"""The assignments table: its only writer (docs/architecture.md, "One writer per table").

An assignment is created by materialising (in bulk, at driver speed), moved
along by the scheduler (``next_action_at``, in bulk), and changed by what
coordinators and units record: one function per state change. Every change
but the scheduler's own hands the assignment back to the scheduler
(``next_action_at = now``), which decides what follows.

Core for the bulk paths (the tick runs without the ORM); the state changes
set the attributes of the ORM object the service holds, so its session writes
them with everything else of the use case in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy.engine import Connection

from tracker.core.states import AssignmentState
from tracker.store import bulk
from tracker.store.tables import assignments as T

if TYPE_CHECKING:
    from tracker.store.models import Assignment

# The columns of a materialised row, in the order of ``insert_materialised``'s tuples.
COLUMNS = ("obligation_id", "unit_id", "period", "kind", "base_due_at", "due_at", "ends_at", "state",
           "next_action_at", "created_at", "updated_at")


# --- in bulk ------------------------------------------------------------------------

def insert_materialised(conn: Connection, rows: list[tuple], chunk: int = 10_000) -> None:
    """Insert assignment rows (tuples in ``COLUMNS`` order) at driver speed, through
    store/bulk.py (COPY on PostgreSQL). A national store materialises a million
    rows: in chunks, so the converted copy of the values stays small."""
    for start in range(0, len(rows), chunk):
        bulk.insert_many(conn, T, COLUMNS, rows[start:start + chunk])


def move_next_actions(conn: Connection, moves: Sequence[tuple[datetime | None, int]]) -> None:
    """The scheduler's verdicts: ``(next_action_at, id)`` pairs, one executemany per
    batch (the pass costs what is due). NULL: nothing left to decide."""
    bulk.update_many(conn, T, ("next_action_at",), ("id",), list(moves))


# --- what is recorded about one assignment --------------------------------------------

def record_submitted(a: "Assignment", *, waits: bool, submitted_at: datetime, now: datetime) -> None:
    """A submission arrived: ``received`` while it ``waits`` for the coordinator's
    acceptance, else ``submitted``. Reminders stop either way."""
    a.state = AssignmentState.RECEIVED if waits else AssignmentState.SUBMITTED
    a.submitted_at, a.returned_at, a.next_action_at, a.updated_at = submitted_at, None, now, now


def accept(a: "Assignment", first_submitted_at: datetime, now: datetime) -> None:
    """The coordinator accepted what waited: done, on time or late by the first submission."""
    a.state, a.submitted_at = AssignmentState.SUBMITTED, first_submitted_at
    a.next_action_at, a.updated_at = now, now


def reopen_returned(a: "Assignment", now: datetime) -> None:
    """The coordinator returned the submission: open again since ``now``; the
    scheduler resumes what the deadline puts due."""
    a.state, a.submitted_at, a.returned_at, a.next_action_at, a.updated_at = AssignmentState.OPEN, None, now, now, now


def unsubmit(a: "Assignment", now: datetime) -> None:
    """A submission recorded by mistake is undone: open, as if never submitted."""
    a.state, a.submitted_at, a.next_action_at, a.updated_at = AssignmentState.OPEN, None, now, now


def waive(a: "Assignment", now: datetime) -> None:
    """The unit is excused; the scheduler looks at it once more (and stops)."""
    a.state, a.waived_at, a.next_action_at, a.updated_at = AssignmentState.WAIVED, now, now, now


def unwaive(a: "Assignment", now: datetime) -> None:
    """A waiver undone: the unit owes the work again; reminders resume."""
    a.state, a.waived_at, a.next_action_at, a.updated_at = AssignmentState.OPEN, None, now, now


def extend(a: "Assignment", until: datetime, next_action_at: datetime, now: datetime) -> None:
    """A new deadline; the new ladder starts at ``next_action_at`` (the send hour)."""
    a.extended_until, a.due_at, a.next_action_at, a.updated_at = until, until, next_action_at, now


def reschedule(a: "Assignment", kind: str, base_due_at: datetime, ends_at: Any, now: datetime) -> None:
    """The plan file moved the obligation's dates: an extension still wins over the new deadline."""
    a.kind, a.base_due_at, a.ends_at = kind, base_due_at, ends_at
    a.due_at = a.extended_until or base_due_at
    a.next_action_at, a.updated_at = now, now


def hand_over(a: "Assignment", unit_id: int, now: datetime) -> None:
    """A retired unit's open work goes to the unit that absorbed it."""
    a.unit_id, a.next_action_at, a.updated_at = unit_id, now, now


def refresh_statistics(conn: Connection) -> None:
    """After a mass import, let PostgreSQL's planner see the new rows now, in the
    importing transaction (it counts its own rows), not when autovacuum gets to
    them: the first pass after a national import (660k due) took 244 s planned
    on an empty table's statistics, 117 s after ANALYZE. SQLite plans by its
    indexes without statistics, and gains nothing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {T.name}")
