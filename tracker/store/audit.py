"""The audit_log table: its only writer (docs/architecture.md, "One writer per table").

Entries are only ever added, in the transaction of the change they describe
(services/audit.py makes the values JSON first); nothing updates or deletes one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker.store.models import AuditEntry


def add(session: Session, *, at: datetime, actor: str, action: str, entity: str, entity_id: str,
        before: Any, after: Any) -> None:
    """One entry: who did ``action`` to ``entity``, with the values before and after."""
    session.add(AuditEntry(at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
                           before=before, after=after))
