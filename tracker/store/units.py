"""The units table: its only writer (docs/architecture.md, "One writer per table").

A unit is created and updated by an import, retired and restored by a
coordinator, marked as bouncing by the mailbox reader, and given a new link
version when its link is rotated. The services decide; these functions make
each change, and nothing else assigns a unit's columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from tracker.core.states import UnitStatus
from tracker.store.tables import units as T

if TYPE_CHECKING:  # the mailbox reader and the link service run on Core rows
    from sqlalchemy.orm import Session

    from tracker.store.models import Unit


def add(session: "Session", code: str, values: dict[str, Any], now: datetime) -> None:
    """A unit first named by a units or plan file: active from ``now``."""
    from tracker.store.models import Unit

    session.add(Unit(code=code, status=UnitStatus.ACTIVE, created_at=now, updated_at=now, **values))


def update_from_file(unit: "Unit", values: dict[str, Any], now: datetime) -> None:
    """A re-imported file changed the unit's ``values``. An address no longer
    listed loses its bounce mark (services/bounces.py): the mark was about that
    address, and a corrected one must be tried again."""
    for k, v in values.items():
        setattr(unit, k, v)
    if unit.bouncing:
        listed = {a.lower() for a in values["emails"]}
        unit.bouncing = {a: m for a, m in unit.bouncing.items() if a in listed} or None
    unit.updated_at = now


def retire(unit: "Unit", merged_into: str | None, now: datetime) -> None:
    """The unit ended (or merged into ``merged_into``); it keeps its history."""
    unit.status, unit.merged_into, unit.updated_at = UnitStatus.RETIRED, merged_into, now


def restore(unit: "Unit", now: datetime) -> None:
    """A unit retired too early is active again, merged into nothing."""
    unit.status, unit.merged_into, unit.updated_at = UnitStatus.ACTIVE, None, now


def mark_bouncing(conn: Connection, unit: Any, marks: dict[str, Any], now: datetime) -> bool:
    """Store the unit's bounce ``marks``, only if the row is still as ``unit`` was
    read (same ``updated_at``): two readers marking two addresses of one unit
    must not overwrite each other's mark. False when the row changed meanwhile."""
    c = T.c
    return conn.execute(update(T).where(c.id == unit.id, c.updated_at == unit.updated_at)
                        .values(bouncing=marks, updated_at=now)).rowcount == 1


def set_link_version(conn: "Connection | Session", unit_id: int, version: int, now: datetime) -> None:
    """A rotated link: every token signed with an older version stops working."""
    conn.execute(update(T).where(T.c.id == unit_id).values(link_version=version, updated_at=now))
