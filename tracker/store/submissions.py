"""The submissions table and its submission_files: their only writer
(docs/architecture.md, "One writer per table").

A submission is recorded by a coordinator (``tracker submit``), a unit's page
or a reply read from the mailbox; the coordinator accepts or returns what
waits; an undo deletes it (the audit log keeps it). Its files are stored by
content hash first (store/files.py), then named here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tracker.core.submissions import SubmissionState
from tracker.store.models import Submission, SubmissionFile


def add(session: Session, **values: Any) -> Submission:
    """One submission's row (the service gives every column it knows)."""
    sub = Submission(**values)
    session.add(sub)
    return sub


def add_files(session: Session, sub: Submission, files: Iterable[dict[str, Any]], now: datetime) -> None:
    """Name the stored files (``sha256``, ``size``, ``content_type``, ``name``) of
    ``sub``. Flushes first: the rows name the submission by its id."""
    session.flush()
    for f in files:
        session.add(SubmissionFile(submission_id=sub.id, sha256=f["sha256"], size=f["size"],
                                   content_type=f["content_type"], name=f["name"], created_at=now))


def accept(subs: Iterable[Submission], now: datetime, actor: str) -> None:
    """The coordinator accepted these waiting submissions."""
    for s in subs:
        s.state, s.decided_at, s.decided_by = SubmissionState.ACCEPTED.value, now, actor


def return_(subs: Iterable[Submission], now: datetime, actor: str, reason: str) -> None:
    """The coordinator returned these submissions, saying why (the unit reads ``reason``)."""
    for s in subs:
        s.state, s.decided_at, s.decided_by, s.reason = SubmissionState.RETURNED.value, now, actor, reason


def delete_of_assignment(session: Session, assignment_id: int) -> None:
    """An undone submission: its rows go (the audit log keeps what was recorded)."""
    session.execute(delete(Submission).where(Submission.assignment_id == assignment_id))
