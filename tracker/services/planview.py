"""`tracker plan show ID`: one plan as a coordinator reads it — its number and
date, its validity, its own units, and each obligation with its id, date rule,
periods and responsible units (the ids other commands ask for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tracker.services.runtime import Runtime


@dataclass(frozen=True)
class ObligationView:
    id: str
    kind: str
    title: str
    rule: str  # "trước ngày 30/5/2021", as the plan words it
    recurrence: str
    responsible: str  # "all" or the codes and groups
    report_to: str | None
    submit_to: str | None
    periods: tuple[str, ...]
    units: tuple[str, ...]
    retired: bool

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "title": self.title, "rule": self.rule,
                "recurrence": self.recurrence, "responsible": self.responsible, "report_to": self.report_to,
                "submit_to": self.submit_to, "periods": list(self.periods), "units": list(self.units),
                "retired": self.retired}


@dataclass(frozen=True)
class PlanView:
    id: str
    number: str | None
    issued_on: date | None
    issuer: str
    year: int
    valid_until: date
    title: str
    coordinator: str
    units: tuple[str, ...]
    obligations: tuple[ObligationView, ...]

    @property
    def multi_year(self) -> bool:
        return self.valid_until.year > self.year

    def to_json(self) -> dict:
        return {"id": self.id, "number": self.number,
                "issued_on": self.issued_on.isoformat() if self.issued_on else None, "issuer": self.issuer,
                "year": self.year, "valid_until": self.valid_until.isoformat(), "multi_year": self.multi_year,
                "title": self.title, "coordinator": self.coordinator, "units": list(self.units),
                "obligations": [o.to_json() for o in self.obligations]}


def show_plan(rt: Runtime, code: str) -> PlanView:
    from tracker.render.vi import rule_phrase
    from tracker.services.materialise import valid_until
    from tracker.services.status import plan_or_fail
    from tracker.store.models import Assignment, Obligation, Unit

    with rt.store.read() as session:
        plan = plan_or_fail(session, code)
        obs = []
        for ob in session.scalars(select(Obligation).where(Obligation.plan_id == plan.id)
                                  .order_by(Obligation.retired, Obligation.position)):
            periods = tuple(sorted(session.scalars(
                select(Assignment.period).where(Assignment.obligation_id == ob.id).distinct())))
            units = tuple(session.scalars(
                select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                .where(Assignment.obligation_id == ob.id).group_by(Unit.code).order_by(Unit.code)))
            responsible = "all" if ob.responsible == "all" else ", ".join(ob.responsible)
            obs.append(ObligationView(ob.code, ob.kind, ob.title, rule_phrase(ob.kind, ob.strict_before, ob.due_text),
                                      ob.recurrence, responsible, ob.report_to, ob.submit_to, periods, units,
                                      bool(ob.retired)))
        return PlanView(plan.code, plan.number, plan.issued_on, plan.issuer, plan.year, valid_until(plan),
                        plan.title, plan.coordinator_code, tuple(plan.unit_codes or ()), tuple(obs))
