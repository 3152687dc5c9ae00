"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker.store import audit as audit_log


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def record(
    session: Session, *, at: datetime, actor: str, action: str, entity: str, entity_id: str,
    before: dict | None = None, after: dict | None = None,
) -> None:
    audit_log.add(session, at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
                  before=jsonable(before) if before is not None else None,
                  after=jsonable(after) if after is not None else None)


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    return {f: jsonable(getattr(obj, f)) for f in fields}
