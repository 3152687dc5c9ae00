"""Create or upgrade the database, and list what it holds (units, plans)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.store.models import Assignment, Obligation, Plan, Unit
from tracker.services.runtime import Runtime
from tracker.shipped import migrations_dir


def alembic_config(url: str):
    """Alembic's configuration, built in code: an installed tracker has no alembic.ini
    (the repository's one serves `alembic` commands run by hand in a checkout)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    return cfg


def init_db(rt: Runtime) -> tuple[str | None, str]:
    """Upgrade to the newest migration; returns (revision before, revision after)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    from tracker.store.engine import store_errors

    with store_errors(rt.store.url):  # an unreachable server: one line, not a traceback
        return _upgrade(rt, command, MigrationContext)


def _upgrade(rt: Runtime, command, MigrationContext) -> tuple[str | None, str]:
    with rt.store.engine.connect() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
    cfg = alembic_config(rt.store.url)
    with rt.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with rt.store.engine.connect() as conn:
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after or ""


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    emails: tuple[str, ...]
    head_email: str | None
    kind: str | None
    parent: str | None
    status: str
    merged_into: str | None
    bouncing: tuple[str, ...] = ()  # addresses a server refused permanently

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "email": list(self.emails), "head_email": self.head_email,
                "kind": self.kind, "parent": self.parent, "status": self.status, "merged_into": self.merged_into,
                "bouncing": list(self.bouncing)}


def list_units(rt: Runtime) -> list[UnitRow]:
    with rt.store.read() as session:
        return [
            UnitRow(u.code, u.name, tuple(u.emails or ()), u.head_email, u.kind, u.parent_code, u.status,
                    u.merged_into, tuple(sorted(u.bouncing or ())))
            for u in session.scalars(select(Unit).order_by(Unit.code))
        ]


@dataclass(frozen=True)
class PlanRow:
    id: str
    number: str | None
    issuer: str
    year: int
    title: str
    coordinator: str
    obligations: int
    assignments: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


def list_plans(rt: Runtime) -> list[PlanRow]:
    with rt.store.read() as session:
        ob_counts = dict(session.execute(
            select(Obligation.plan_id, func.count()).where(Obligation.retired.is_(False)).group_by(Obligation.plan_id)
        ).all())
        as_counts = dict(session.execute(
            select(Obligation.plan_id, func.count(Assignment.id)).join(Assignment).group_by(Obligation.plan_id)
        ).all())
        return [
            PlanRow(p.code, p.number, p.issuer, p.year, p.title, p.coordinator_code, ob_counts.get(p.id, 0),
                    as_counts.get(p.id, 0))
            for p in session.scalars(select(Plan).order_by(Plan.year, Plan.code))
        ]
