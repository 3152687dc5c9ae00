"""The plans table: its only writer (docs/architecture.md, "One writer per table").

A plan is written by ``tracker plan import`` only: created from its file, or
updated when the file changed (its content hash says so).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.store.models import Plan


def add(session: "Session", code: str, values: dict[str, Any], *, timezone: str, source_file: str,
        content_hash: str, now: datetime) -> "Plan":
    """A plan imported for the first time, flushed: its obligations need its id."""
    from tracker.store.models import Plan

    plan = Plan(code=code, timezone=timezone, source_file=source_file, content_hash=content_hash,
                imported_at=now, updated_at=now, **values)
    session.add(plan)
    session.flush()
    return plan


def update_from_file(plan: "Plan", values: dict[str, Any], *, source_file: str, content_hash: str,
                     now: datetime) -> None:
    """A changed plan file: its values, and the hash that tells the next import
    whether the file changed again."""
    for k, v in values.items():
        setattr(plan, k, v)
    plan.content_hash, plan.source_file, plan.updated_at = content_hash, source_file, now
