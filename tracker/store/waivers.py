"""The waivers table: its only writer (docs/architecture.md, "One writer per table").

A waiver says why a unit is excused from one assignment (a coordinator's
``tracker waive``, a unit retired, an obligation gone from its plan file);
undoing it deletes it (the audit log keeps it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tracker.store.models import Waiver


def add(session: Session, assignment_id: int, reason: str, now: datetime, actor: str) -> None:
    """The reason the assignment is waived, and who waived it."""
    session.add(Waiver(assignment_id=assignment_id, reason=reason, waived_at=now, recorded_by=actor))


def delete_of_assignment(session: Session, assignment_id: int) -> None:
    """A waiver undone (``tracker unwaive``, a unit restored)."""
    session.execute(delete(Waiver).where(Waiver.assignment_id == assignment_id))
