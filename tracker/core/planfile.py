"""Read and validate plan files (docs/plan-file.md). Pure: text in, specs out.

What a plan file holds (``PlanSpec``, ``UnitSpec``, ``ObligationSpec``) and the
rules of its sections. Reading the YAML is core/yamltext.py; checking one field
and collecting located problems is core/fieldchecks.py (both shared with the
unit and submission files).

Every problem in a file is collected before anything is written, each naming
the file and line, so the coordinator fixes a file in one round.
Cross-references to the store (units defined elsewhere) are checked by the
import service, which knows the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from tracker.core.addresses import is_email
from tracker.core.errors import InputError, ValidationErrors
from tracker.core.dataperiod import DataPeriodRule
from tracker.core.periodrules import cutoff_fields, monthly_day_problem
from tracker.core.fieldchecks import CODE, Collector, check_keys, code_field, emails_field, text_field
from tracker.core.planunits import group_of
from tracker.core.schedule import RECURRENCES, DateError, parse_date
from tracker.core.states import Kind
from tracker.core.yamltext import MAX_DEPTH, load_yaml, nfc

KINDS = tuple(Kind)
CATEGORIES = ("report", "plan_submission", "window", "event", "quarterly_item", "other")

_PLAN_KEYS = {"id", "number", "issuer", "place", "issued_on", "year", "title", "coordinator", "valid_until"}
_UNIT_KEYS = {"code", "name", "email", "head_email", "kind", "parent"}
_OBLIGATION_KEYS = {
    "id", "title", "kind", "due", "start", "end", "date", "strict_before", "recurrence",
    "responsible", "report_to", "submit_to", "shift", "reminders", "escalation", "source", "source_line", "category",
    "due_after_cutoff", "data_period", "short_months",
}
_TOP_KEYS = {"plan", "units", "obligations", "review"}
@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    emails: tuple[str, ...]
    head_email: str | None = None
    kind: str | None = None
    parent: str | None = None
    where: str = ""


@dataclass(frozen=True)
class ObligationSpec:
    id: str
    title: str
    kind: str
    first: date  # deadline: due; window: start; event: date
    last: date | None
    due_text: str
    strict_before: bool
    recurrence: str
    responsible: str | tuple[str, ...]  # "all" or unit codes and groups (kind:X, parent:X)
    report_to: str | None
    shift: str | None
    reminders: tuple[int, ...] | None
    escalation: tuple[int, ...] | None
    source: str | None
    source_line: int | None
    category: str | None
    where: str = ""
    responsible_where: str = ""
    report_to_where: str = ""
    due_after_cutoff: int | None = None  # working days after the data cut-off (then ``first`` is the cut-off)
    data_period: DataPeriodRule | None = None
    submit_to: str | None = None


@dataclass(frozen=True)
class PlanSpec:
    id: str
    number: str | None
    issuer: str
    place: str | None
    issued_on: date | None
    year: int
    title: str
    coordinator: str
    units: tuple[UnitSpec, ...] = ()
    obligations: tuple[ObligationSpec, ...] = ()
    review: tuple[str, ...] = ()
    where: str = ""
    coordinator_where: str = ""
    valid_until: date | None = None  # None: 31/12 of year
    unit_refs: tuple[str, ...] = ()  # units: entries that only give the code of a unit in the store
    # Codes of units: entries with problems of their own (already reported): the
    # reference checks count them as the file's units instead of reporting them twice.
    unparsed_units: tuple[str, ...] = ()
    # (obligation label, key, unit code, where) named by obligations with problems
    # of their own, so an unknown unit there is reported in the same run too.
    unparsed_refs: tuple[tuple[str, str, str, str], ...] = ()


# The most days a reminder or escalation step may lie from its date.
MAX_DAYS = 3660


def unit_spec(c: Collector, node: Any, what: str) -> UnitSpec | None:
    if not isinstance(node, dict):
        c.add(f"{what} must be a mapping with code, name and email", node)
        return None
    check_keys(c, node, _UNIT_KEYS, what)
    code = code_field(c, node, "code", what)
    label = f"unit {code!r}" if code else what
    name = text_field(c, node, "name", label)
    errors_before = len(c.errors)
    emails = emails_field(c, node, "email", label)
    bad_email = len(c.errors) > errors_before
    head = node.get("head_email")
    head_email = None
    if head not in (None, ""):
        head_email = str(head).strip()
        if not is_email(head_email):
            c.add(f"{label}: head_email {head_email!r} is not a valid e-mail address", node, "head_email")
    kind = text_field(c, node, "kind", label, required=False)
    parent = code_field(c, node, "parent", label, required=False)
    if code is None or name is None or bad_email:
        return None
    return UnitSpec(code, name, emails, head_email, kind, parent, c.at(node))


def _int_list(c: Collector, node: dict, key: str, label: str, minimum: int) -> tuple[int, ...] | None:
    if key not in node or node[key] is None:
        return None
    value = node[key]
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        c.add(f"{label}: {key} must be a list of whole numbers of days", node, key)
        return None
    if any(v < minimum for v in value):
        c.add(f"{label}: {key} must hold numbers >= {minimum}", node, key)
        return None
    if any(v > MAX_DAYS for v in value):  # beyond this a date leaves the calendar (OverflowError)
        c.add(f"{label}: {key} must hold numbers <= {MAX_DAYS} (ten years of days)", node, key)
        return None
    return tuple(sorted(set(value), reverse=(key == "reminders")))


def _date(c: Collector, node: dict, key: str, label: str, year: int | None) -> date | None:
    if node.get(key) in (None, ""):
        c.add(f"{label}: missing {key}", node, key if key in node else None)
        return None
    try:
        return parse_date(node[key], year)
    except DateError as exc:
        c.add(f"{label}: {key}: {exc}", node, key)
        return None


def obligation_spec(c: Collector, node: Any, what: str, year: int | None) -> ObligationSpec | None:
    if not isinstance(node, dict):
        c.add(f"{what} must be a mapping", node)
        return None
    check_keys(c, node, _OBLIGATION_KEYS, what)
    oid = code_field(c, node, "id", what)
    label = f"obligation {oid!r}" if oid else what
    title = text_field(c, node, "title", label)
    kind = text_field(c, node, "kind", label, required=False) or Kind.DEADLINE
    if kind not in KINDS:
        c.add(f"{label}: kind must be one of {', '.join(KINDS)}, not {kind!r}", node, "kind")
        return None
    first = last = None
    due_text = ""
    recurrence = text_field(c, node, "recurrence", label, required=False) or "none"
    after_cutoff, data_rule, cutoff_first, cutoff_text = cutoff_fields(c, node, label, kind, recurrence, year)
    if "due_after_cutoff" in node:
        first, due_text = cutoff_first, cutoff_text
    elif kind == Kind.DEADLINE:
        first = _date(c, node, "due", label, year)
        due_text = str(node.get("due", ""))
        problem = monthly_day_problem(first, recurrence, node.get("short_months"))
        if problem:
            c.add(f"{label}: {problem}", node, "due")
    elif kind == Kind.WINDOW:
        first = _date(c, node, "start", label, year)
        last = _date(c, node, "end", label, year)
        due_text = f"{node.get('start', '')} - {node.get('end', '')}"
        if first and last and last < first:
            c.add(f"{label}: window ends ({last}) before it starts ({first})", node, "end")
    else:
        first = _date(c, node, "date", label, year)
        due_text = str(node.get("date", ""))
    strict = node.get("strict_before", False)
    if not isinstance(strict, bool):
        c.add(f"{label}: strict_before must be true or false", node, "strict_before")
        strict = False
    if strict and kind != Kind.DEADLINE:
        c.add(f"{label}: strict_before applies to deadlines only", node, "strict_before")
    if recurrence not in RECURRENCES:
        c.add(f"{label}: recurrence must be one of {', '.join(RECURRENCES)}, not {recurrence!r}", node, "recurrence")
    responsible: str | tuple[str, ...] = "all"
    raw = node.get("responsible", "all")
    if isinstance(raw, list):
        codes = []
        for i, item in enumerate(raw):
            if isinstance(item, str) and (CODE.match(item) or group_of(item)):
                codes.append(nfc(item))
            else:
                c.add(f"{label}: responsible[{i}] {item!r} is not a unit code or a group (kind:X, parent:X)",
                      raw, i)
        if not raw:
            c.add(f"{label}: responsible is empty", node, "responsible")
        responsible = tuple(codes)
    elif raw != "all":
        c.add(f"{label}: responsible must be all or a list of unit codes and groups (kind:X, parent:X)",
              node, "responsible")
    report_to = code_field(c, node, "report_to", label, required=False)
    shift = text_field(c, node, "shift", label, required=False)
    if shift not in (None, "next_working_day", "none"):
        c.add(f"{label}: shift must be next_working_day or none, not {shift!r}", node, "shift")
    reminders = _int_list(c, node, "reminders", label, 0)
    escalation = _int_list(c, node, "escalation", label, 1)
    if escalation is not None and len(escalation) > 3:
        c.add(f"{label}: escalation has at most three levels", node, "escalation")
    source_line = node.get("source_line")
    if source_line is not None and not isinstance(source_line, int):
        c.add(f"{label}: source_line must be a line number", node, "source_line")
        source_line = None
    category = text_field(c, node, "category", label, required=False)
    if category is not None and category not in CATEGORIES:
        c.add(f"{label}: category must be one of {', '.join(CATEGORIES)}", node, "category")
    if oid is None or title is None or first is None or (kind == Kind.WINDOW and last is None):
        return None
    return ObligationSpec(
        oid, title, kind, first, last, due_text, bool(strict), recurrence, responsible, report_to, shift,
        reminders, escalation, text_field(c, node, "source", label, required=False), source_line, category,
        c.at(node), c.at(node, "responsible" if "responsible" in node else None),
        c.at(node, "report_to" if "report_to" in node else None),
        after_cutoff, data_rule,
        text_field(c, node, "submit_to", label, required=False),
    )


def _parse_list(c: Collector, doc: dict, key: str, parse_one: Callable[[Any, str], Any], noun: str,
                ident: str) -> list:
    """Each entry of the ``key:`` list parsed with ``parse_one``; a repeated
    identifier is reported with the line of its first use."""
    nodes = doc.get(key) or []
    if not isinstance(nodes, list):
        c.add(f"{key}: must be a list", doc, key)
        return []
    seen: dict[str, str] = {}
    out = []
    for i, node in enumerate(nodes):
        spec = parse_one(node, f"{key}[{i}]")
        if spec is None:
            continue
        value = getattr(spec, ident)
        if value in seen:
            c.add(f"duplicate {noun} {value!r} (first at {seen[value]})", node, ident)
            continue
        seen[value] = spec.where
        out.append(spec)
    return out


def parse_plan(text: str, filename: str, *, max_depth: int = MAX_DEPTH) -> PlanSpec:
    """Validate a whole plan file; raise ValidationErrors listing every problem."""
    spec, problems = parse_plan_with_problems(text, filename, max_depth=max_depth)
    if problems:
        raise ValidationErrors(problems)
    return spec


def parse_plan_with_problems(text: str, filename: str, *,
                             max_depth: int = MAX_DEPTH) -> tuple[PlanSpec, list[InputError]]:
    """The plan as far as it is valid, and the problems of the rest, without
    raising (unless the file is not a plan at all): the import adds what only the
    store can tell (unknown units) and reports every problem in one run. With
    problems, missing header fields are empty ("" or 0) and invalid entries left out."""
    doc = load_yaml(text, filename, max_depth=max_depth)
    c = Collector(filename)
    if not isinstance(doc, dict):
        raise InputError("a plan file is a mapping with plan:, units: and obligations:", filename)
    check_keys(c, doc, _TOP_KEYS, "the plan file")
    plan = doc.get("plan")
    if not isinstance(plan, dict):
        c.add("missing plan: section", doc, "plan" if "plan" in doc else None)
        c.raise_if_any()
    check_keys(c, plan, _PLAN_KEYS, "plan")
    pid = code_field(c, plan, "id", "plan")
    year = plan.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        c.add(f"plan: year must be a four-digit year, not {year!r}", plan, "year" if "year" in plan else None)
        year = None
    issued_on = None
    if plan.get("issued_on") not in (None, ""):
        try:
            issued_on = parse_date(plan["issued_on"], year)
        except DateError as exc:
            c.add(f"plan: issued_on: {exc}", plan, "issued_on")
    issuer = text_field(c, plan, "issuer", "plan")
    title = text_field(c, plan, "title", "plan")
    coordinator = code_field(c, plan, "coordinator", "plan")
    # Read before the errors are raised: a control character in them is an error too.
    number = text_field(c, plan, "number", "plan", required=False)
    place = text_field(c, plan, "place", "plan", required=False)

    valid_until = None
    if plan.get("valid_until") not in (None, ""):
        try:
            valid_until = parse_date(plan["valid_until"], year)
        except DateError as exc:
            c.add(f"plan: valid_until: {exc}", plan, "valid_until")
        if valid_until and year and valid_until.year < year:
            c.add(f"plan: valid_until {valid_until:%d/%m/%Y} is before the plan's year {year}", plan, "valid_until")
    # A units: entry is a whole unit, or just the code of a unit already imported.
    raw_units = doc.get("units") or []
    refs: list[str] = []
    if isinstance(raw_units, list):
        for i, node in enumerate(raw_units):
            if isinstance(node, str):
                if not CODE.match(node):
                    c.add(f"units[{i}]: {node!r} is not a unit code", raw_units, i)
                elif node in refs:
                    c.add(f"duplicate unit code {node!r}", raw_units, i)
                else:
                    refs.append(node)
    units = _parse_list(c, doc, "units", lambda node, what: None if isinstance(node, str) else unit_spec(c, node, what),
                        "unit code", "code")
    for u in units:
        if u.code in refs:
            c.errors.append(InputError(f"unit {u.code!r} is listed twice (as a code and as a unit)", u.where))
    obligations = _parse_list(c, doc, "obligations", lambda node, what: obligation_spec(c, node, what, year),
                              "obligation id", "id")
    review = doc.get("review") or []
    parsed = {u.code for u in units}
    unparsed = sorted({nfc(str(n["code"])) for n in raw_units if isinstance(n, dict) and isinstance(n.get("code"), str)}
                      - parsed) if isinstance(raw_units, list) else []
    return PlanSpec(
        pid or "", number, issuer or "", place, issued_on, year or 0, title or "", coordinator or "",
        tuple(units), tuple(obligations), tuple(str(r) for r in review) if isinstance(review, list) else (),
        c.at(plan), c.at(plan, "coordinator"), valid_until, tuple(refs), tuple(unparsed),
        _unparsed_refs(c, doc.get("obligations"), {o.where for o in obligations}),
    ), c.errors


def _unparsed_refs(c: Collector, nodes: Any, parsed: set[str]) -> tuple[tuple[str, str, str, str], ...]:
    """The unit codes named by obligations left out for problems of their own."""
    out = []
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, dict) or c.at(node) in parsed:
            continue
        oid = node.get("id")
        label = f"obligation {oid!r}" if isinstance(oid, str) and CODE.match(oid) else f"obligations[{i}]"
        raw = node.get("responsible")
        for code in raw if isinstance(raw, list) else []:
            if isinstance(code, str) and CODE.match(code):
                out.append((label, "responsible", nfc(code), c.at(node, "responsible")))
        report_to = node.get("report_to")
        if isinstance(report_to, str) and CODE.match(report_to):
            out.append((label, "report_to", nfc(report_to), c.at(node, "report_to")))
    return tuple(out)
