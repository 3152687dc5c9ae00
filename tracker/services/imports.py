"""Import units and plans: validate everything, then write in one transaction.

Re-importing the same file changes nothing; a changed file updates what
changed, recomputes open assignments and keeps every submission.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.store import assignments as store_assignments, obligations as store_obligations, plans as store_plans, units as store_units
from tracker.store.models import Assignment, Obligation, Plan, Unit
from tracker.core.errors import InputError, ValidationErrors
from tracker.core.planfile import ObligationSpec, PlanSpec, UnitSpec, parse_plan_with_problems
from tracker.core.planunits import group_of, own_unit_codes
from tracker.services import audit
from tracker.services.materialise import materialise, occurrence_for, responsible_units
from tracker.services.records import mark_waived
from tracker.services.runtime import Runtime
from tracker.core.unitfile import parse_units_with_problems
from tracker.core.states import AssignmentState, Status

UNIT_FIELDS = ("name", "emails", "head_email", "kind", "parent_code")
PLAN_FIELDS = ("number", "issuer", "place", "issued_on", "year", "title", "coordinator_code", "unit_codes",
               "valid_until")
OBLIGATION_FIELDS = (
    "title", "kind", "due_text", "first_date", "last_date", "strict_before", "recurrence", "responsible",
    "report_to", "submit_to", "shift", "reminders", "escalation", "source", "source_line", "category", "position",
    "retired", "due_after_cutoff", "data_period",
)
# A change to these moves the dates of open assignments.
_DATE_FIELDS = {"kind", "first_date", "last_date", "strict_before", "shift", "recurrence", "due_after_cutoff",
                "data_period"}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    assignments_created: int = 0
    assignments_changed: int = 0
    units: "ImportResult | None" = None  # a plan file's own units: section
    obligations_removed: int = 0  # gone from a re-imported plan file
    assignments_waived: int = 0  # their open work
    note: str | None = None  # "read as Windows-1258 …" when the file was not UTF-8

    def summary(self, noun: str) -> str:
        parts = [f"{len(self.created)} {noun} created", f"{len(self.updated)} updated", f"{self.unchanged} unchanged"]
        if self.assignments_created or self.assignments_changed:
            parts.append(f"{self.assignments_created} assignments created")
            if self.assignments_changed:
                parts.append(f"{self.assignments_changed} rescheduled")
        if self.obligations_removed:
            parts.append(f"{self.obligations_removed} obligations removed, {self.assignments_waived} assignments waived")
        if self.units is not None and (self.units.created or self.units.updated):
            # Units are shared by every plan: say which existing ones this file changed.
            changed = f" ({', '.join(self.units.updated)})" if self.units.updated else ""
            parts.append(f"units: {len(self.units.created)} created, {len(self.units.updated)} updated{changed}")
        return ", ".join(parts)


def read_text(path: str | Path, max_bytes: int | None = None) -> str:
    """A text file (a units .yaml) by the decoding rule of core/tabletext.py."""
    from tracker.services.officefiles import read_plan_text

    return read_plan_text(path, max_bytes).text


def import_units(rt: Runtime, path: str | Path, now: datetime, encoding: str | None = None) -> ImportResult:
    from tracker.services.officefiles import read_table

    limits = rt.settings.tracker
    decoded = read_table(path, encoding, limits.max_input_bytes)
    specs, problems = parse_units_with_problems(decoded.text, str(path), max_depth=limits.max_nesting)
    with rt.store.write() as session:
        _check_parents(session, specs, str(path), problems)
        result = ImportResult(note=decoded.note())
        _upsert_units(session, specs, now, rt.actor, result)
        if result.created:
            # New units join "all" obligations: give them their assignments.
            result.assignments_created = materialise(rt, _connection(session), now, force=True)
        return result


def _connection(session: Session):
    """The session's connection, for the Core services (materialise), with the
    session's pending changes written first: Core statements do not autoflush."""
    session.flush()
    return session.connection()


def _check_parents(session: Session, specs: tuple[UnitSpec, ...], filename: str,
                   problems: list[InputError] | None = None) -> None:
    """Unknown parents, with the file's other ``problems``: all of them in one run, in line order."""
    codes = {u.code for u in specs}
    wanted = {u.parent for u in specs if u.parent and u.parent not in codes}
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(wanted)))) if wanted else set()
    errors = list(problems or []) + [
        InputError(f"unit {u.code!r}: unknown parent unit {u.parent!r}", u.where)
        for u in specs if u.parent and u.parent not in codes and u.parent not in known
    ]
    if errors:
        raise ValidationErrors(sorted(errors, key=_line_of))


def _line_of(error: InputError) -> int:
    tail = (error.where or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _upsert_units(session: Session, specs, now: datetime, actor: str, result: ImportResult) -> None:
    existing = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_([s.code for s in specs])))}
    for spec in specs:
        values = {"name": spec.name, "emails": list(spec.emails), "head_email": spec.head_email,
                  "kind": spec.kind, "parent_code": spec.parent}
        unit = existing.get(spec.code)
        if unit is None:
            store_units.add(session, spec.code, values, now)
            audit.record(session, at=now, actor=actor, action="create", entity="unit", entity_id=spec.code,
                         after=values)
            result.created.append(spec.code)
            continue
        before = audit.snapshot(unit, UNIT_FIELDS)
        if before == audit.jsonable(values):
            result.unchanged += 1
            continue
        store_units.update_from_file(unit, values, now)  # a changed address clears its bounce mark
        audit.record(session, at=now, actor=actor, action="update", entity="unit", entity_id=spec.code,
                     before=before, after=audit.jsonable(values))
        result.updated.append(spec.code)
    session.flush()


# Assignments created by one import from which the planner's statistics are refreshed at once.
MASS_IMPORT = 10_000


def import_plan(rt: Runtime, path: str | Path, now: datetime) -> ImportResult:
    from tracker.services.officefiles import read_plan_text

    limits = rt.settings.tracker
    decoded = read_plan_text(path, limits.max_input_bytes)
    text = decoded.text
    spec, problems = parse_plan_with_problems(text, str(path), max_depth=limits.max_nesting)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with rt.store.write() as session:
        _check_plan_references(session, spec, problems)
        result = ImportResult(units=ImportResult(), note=decoded.note())
        _upsert_units(session, spec.units, now, rt.actor, result.units)
        plan = session.scalar(select(Plan).where(Plan.code == spec.id))
        if plan is not None and plan.content_hash == digest:
            result.unchanged = 1
            return result
        values = {"number": spec.number, "issuer": spec.issuer, "place": spec.place, "issued_on": spec.issued_on,
                  "year": spec.year, "title": spec.title, "coordinator_code": spec.coordinator,
                  "unit_codes": own_unit_codes(spec), "valid_until": spec.valid_until}
        if plan is None:
            plan = store_plans.add(session, spec.id, values, timezone=rt.settings.tracker.timezone,
                                   source_file=str(path), content_hash=digest, now=now)
            audit.record(session, at=now, actor=rt.actor, action="create", entity="plan", entity_id=spec.id,
                         after=values)
            result.created.append(spec.id)
            units_changed = False
        else:
            before = audit.snapshot(plan, PLAN_FIELDS)
            units_changed = before["unit_codes"] != values["unit_codes"]
            store_plans.update_from_file(plan, values, source_file=str(path), content_hash=digest, now=now)
            if before != audit.jsonable(values):
                audit.record(session, at=now, actor=rt.actor, action="update", entity="plan",
                             entity_id=spec.id, before=before, after=audit.jsonable(values))
                result.updated.append(spec.id)
        changed_obligations = _upsert_obligations(rt, session, plan, spec, now, result)
        if units_changed:  # "responsible: all" now means another set of units
            for ob in session.scalars(select(Obligation).where(Obligation.plan_id == plan.id,
                                                               Obligation.retired.is_(False))):
                result.assignments_changed += _drop_units(rt, session, ob, plan, now)
                if ob.id not in changed_obligations:
                    changed_obligations.append(ob.id)
        result.assignments_created = materialise(rt, _connection(session), now, obligation_ids=changed_obligations)
        if result.assignments_created >= MASS_IMPORT:
            store_assignments.refresh_statistics(_connection(session))
        if not result.created and not result.updated:
            result.unchanged = 1
        return result


def _check_plan_references(session: Session, spec: PlanSpec, problems: list[InputError] | None = None) -> None:
    """What only the store can tell (units named but defined elsewhere), with the
    file's own ``problems``: every problem of the file in one run, in line order."""
    file_units = {u.code for u in spec.units} | set(spec.unparsed_units)
    wanted = {spec.coordinator} | {o.report_to for o in spec.obligations if o.report_to}
    for o in spec.obligations:
        if o.responsible != "all":
            wanted.update(o.responsible)
    wanted |= {code for _label, _key, code, _where in spec.unparsed_refs}
    wanted = {w for w in wanted if w and group_of(w) is None}
    wanted |= {u.parent for u in spec.units if u.parent} | set(spec.unit_refs)
    missing = wanted - file_units
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(missing)))) if missing else set()
    errors: list[InputError] = []
    for u in spec.units:
        if not u.emails:
            errors.append(InputError(f"unit {u.code!r} ({u.name}) has no e-mail address: fill in its email", u.where))
        if u.parent and u.parent not in file_units and u.parent not in known:
            errors.append(InputError(f"unit {u.code!r}: unknown parent unit {u.parent!r}", u.where))
    if spec.coordinator and spec.coordinator not in file_units and spec.coordinator not in known:
        errors.append(InputError(f"plan: coordinator {spec.coordinator!r} is not a known unit", spec.coordinator_where))
    for code in spec.unit_refs:
        if code not in known:
            errors.append(InputError(f"units: unit {code!r} is not in the store: import it first or give its "
                                     "name and email here", spec.where))
    errors += _check_responsible(session, spec)
    for o in spec.obligations:
        if o.report_to and o.report_to not in file_units and o.report_to not in known:
            errors.append(InputError(f"obligation {o.id!r}: report_to {o.report_to!r} is not a known unit",
                                     o.report_to_where))
        if o.responsible != "all":
            for code in o.responsible:
                if group_of(code) is None and code not in file_units and code not in known:
                    errors.append(InputError(f"obligation {o.id!r}: unknown unit {code!r} in responsible",
                                             o.responsible_where))
    for label, key, code, where in spec.unparsed_refs:
        if code not in file_units and code not in known:
            errors.append(InputError(f"{label}: report_to {code!r} is not a known unit" if key == "report_to"
                                     else f"{label}: unknown unit {code!r} in responsible", where))
    if problems or errors:
        raise ValidationErrors(sorted(list(problems or []) + errors, key=_line_of))


def _check_responsible(session: Session, spec: PlanSpec) -> list[InputError]:
    """Groups must match some of the plan's own units, and ``all`` must mean someone."""
    own = own_unit_codes(spec) + list(spec.unparsed_units)
    info = {u.code: (u.kind, u.parent) for u in spec.units}
    stored = [c for c in own if c not in info]
    if stored:
        for code, kind, parent in session.execute(
                select(Unit.code, Unit.kind, Unit.parent_code).where(Unit.code.in_(stored))):
            info[code] = (kind, parent)
    errors = []
    lonely = [o for o in spec.obligations
              if o.responsible == "all" and not [c for c in own if c != (o.report_to or spec.coordinator)]]
    if lonely:
        errors.append(InputError(
            f"obligation {lonely[0].id!r}{f' and {len(lonely) - 1} more' if len(lonely) > 1 else ''}: "
            f"responsible: all, but the plan has no units of its own besides its coordinator: list them "
            f"under units: (the code is enough for a unit already imported)", lonely[0].responsible_where))
    for o in spec.obligations:
        if o.responsible == "all":
            continue
        for entry in o.responsible:
            group = group_of(entry)
            if group is None:
                continue
            field, value = group
            index = 0 if field == "kind" else 1
            if field == "parent" and session.scalar(select(Unit.id).where(Unit.parent_code == value).limit(1)):
                continue
            if not any(v[index] == value for c, v in info.items() if c in own) and not spec.unparsed_units:
                # (a unit with problems of its own might be the one the group means: not reported twice)
                errors.append(InputError(f"obligation {o.id!r}: group {entry!r} matches none of the plan's units",
                                         o.responsible_where))
    return errors


def _obligation_values(o: ObligationSpec, position: int) -> dict:
    return {
        "title": o.title, "kind": o.kind, "due_text": o.due_text, "first_date": o.first, "last_date": o.last,
        "strict_before": o.strict_before, "recurrence": o.recurrence,
        "responsible": o.responsible if o.responsible == "all" else list(o.responsible),
        "report_to": o.report_to, "submit_to": o.submit_to, "shift": o.shift,
        "reminders": list(o.reminders) if o.reminders is not None else None,
        "escalation": list(o.escalation) if o.escalation is not None else None,
        "source": o.source, "source_line": o.source_line, "category": o.category, "position": position,
        "retired": False, "due_after_cutoff": o.due_after_cutoff,
        "data_period": o.data_period.to_json() if o.data_period else None,
    }


def _upsert_obligations(rt: Runtime, session: Session, plan: Plan, spec: PlanSpec, now: datetime,
                        result: ImportResult) -> list[int]:
    """Returns the ids of obligations whose assignments must be (re)materialised."""
    existing = {o.code: o for o in session.scalars(select(Obligation).where(Obligation.plan_id == plan.id))}
    touched: list[int] = []
    for position, o in enumerate(spec.obligations):
        values = _obligation_values(o, position)
        ob = existing.pop(o.id, None)
        if ob is None:
            ob = store_obligations.add(session, plan.id, o.id, values)
            audit.record(session, at=now, actor=rt.actor, action="create", entity="obligation",
                         entity_id=f"{plan.code}/{o.id}", after=values)
            touched.append(ob.id)
            continue
        before = audit.snapshot(ob, OBLIGATION_FIELDS)
        after = audit.jsonable(values)
        if before == after:
            continue
        store_obligations.update_from_file(ob, values)
        audit.record(session, at=now, actor=rt.actor, action="update", entity="obligation",
                     entity_id=f"{plan.code}/{o.id}", before=before, after=after)
        if plan.code not in result.updated and plan.code not in result.created:
            result.updated.append(plan.code)
        session.flush()
        if any(before[f] != after[f] for f in _DATE_FIELDS):
            result.assignments_changed += _reschedule(rt, session, ob, plan, now)
        result.assignments_changed += _drop_units(rt, session, ob, plan, now)
        store_obligations.rematerialise(ob)
        touched.append(ob.id)
    for ob in existing.values():  # gone from the file: retire, keep history
        if ob.retired:
            continue
        store_obligations.retire(ob)
        audit.record(session, at=now, actor=rt.actor, action="retire", entity="obligation",
                     entity_id=f"{plan.code}/{ob.code}", before={"retired": False}, after={"retired": True})
        result.obligations_removed += 1
        result.assignments_waived += _waive_open(rt, session, select(Assignment).where(Assignment.obligation_id == ob.id),
                                                 now, "obligation removed from the plan file")
        if plan.code not in result.updated:
            result.updated.append(plan.code)
    return touched


def _reschedule(rt: Runtime, session: Session, ob: Obligation, plan: Plan, now: datetime) -> int:
    """New dates for open assignments; submitted ones keep theirs (and their lateness)."""
    count = 0
    for a in session.scalars(select(Assignment).where(Assignment.obligation_id == ob.id,
                                                      Assignment.state == AssignmentState.OPEN)):
        occ = occurrence_for(rt, ob, plan, a.period)
        store_assignments.reschedule(a, ob.kind, occ.due_at, occ.ends_at, now)
        count += 1
    return count


def _drop_units(rt: Runtime, session: Session, ob: Obligation, plan: Plan, now: datetime) -> int:
    """Open assignments of units no longer responsible are waived, not deleted."""
    keep = [u.id for u in responsible_units(_connection(session), ob, plan)]
    query = select(Assignment).where(Assignment.obligation_id == ob.id, Assignment.unit_id.not_in(keep))
    return _waive_open(rt, session, query, now, "unit no longer responsible in the plan file")


def _waive_open(rt: Runtime, session: Session, query, now: datetime, reason: str) -> int:
    count = 0
    for a in session.scalars(query.where(Assignment.state == AssignmentState.OPEN)):
        mark_waived(session, a, now, reason, rt.actor)
        count += 1
    return count
