"""The obligations table: its only writer (docs/architecture.md, "One writer per table").

A plan import creates, updates and retires obligations; materialising
records how far each one's assignments exist (its high-water mark).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import update
from sqlalchemy.engine import Connection

from tracker.store.tables import obligations as T

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.store.models import Obligation


def add(session: "Session", plan_id: int, code: str, values: dict[str, Any]) -> "Obligation":
    """An obligation new in its plan file, flushed: it is materialised by id."""
    from tracker.store.models import Obligation

    ob = Obligation(plan_id=plan_id, code=code, **values)
    session.add(ob)
    session.flush()
    return ob


def update_from_file(ob: "Obligation", values: dict[str, Any]) -> None:
    """The plan file changed the obligation's ``values``."""
    for k, v in values.items():
        setattr(ob, k, v)


def rematerialise(ob: "Obligation") -> None:
    """Forget the high-water mark: a changed obligation's assignments are looked
    at again up to the horizon (new units, new periods)."""
    ob.materialised_until = None


def retire(ob: "Obligation") -> None:
    """Gone from its plan file: kept, with its history, but never materialised again."""
    ob.retired = True


def mark_materialised(conn: Connection, ids: Iterable[int], until: date) -> None:
    """The obligations' assignments exist up to ``until``: the next pass skips
    them until the horizon moves past it (what keeps a repeated call cheap)."""
    conn.execute(update(T).where(T.c.id.in_(list(ids))).values(materialised_until=until))
