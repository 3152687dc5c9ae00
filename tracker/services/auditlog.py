"""`tracker audit`: the audit log, readable. Who changed what and when, with
only the fields that changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from tracker.services.runtime import Runtime
from tracker.store.tables import audit_log as L


@dataclass(frozen=True)
class AuditRow:
    at: datetime  # local
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any

    def changes(self) -> str:
        """'state: open -> submitted; reason: x', only what changed."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        parts = []
        for key in list(before) + [k for k in after if k not in before]:
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            if key in before and key in after:
                parts.append(f"{key}: {_short(old)} -> {_short(new)}")
            elif key in after:
                parts.append(f"{key}: {_short(new)}")
        return "; ".join(parts)

    def to_json(self) -> dict:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action, "entity": self.entity,
                "id": self.entity_id, "before": self.before, "after": self.after}


def _short(value: Any) -> str:
    text = "-" if value is None else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return text if len(text) <= 40 else text[:39] + "…"


def audit_log(rt: Runtime, now: datetime, *, unit: str | None = None, since: datetime | None = None,
              limit: int | None = None) -> list[AuditRow]:
    """Entries up to ``now`` (an "as of"), oldest first; ``unit``: the unit's own
    entries and those of its assignments (plan/obligation/UNIT/period)."""
    query = select(L).where(L.c.at <= now)
    if since is not None:
        query = query.where(L.c.at >= since)
    if unit:
        query = query.where(or_((L.c.entity == "unit") & (L.c.entity_id == unit),
                                (L.c.entity == "assignment") & L.c.entity_id.like(f"%/%/{unit}/%")))
    query = query.order_by(L.c.at, L.c.id)
    with rt.store.reader() as conn:
        rows = [AuditRow(r.at.astimezone(rt.tz), r.actor, r.action, r.entity, r.entity_id, r.before, r.after)
                for r in conn.execute(query)]
    return rows[-limit:] if limit else rows
