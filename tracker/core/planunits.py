"""Which units a plan owns, and the groups a responsible list may name. Pure.

A plan owns the units its file lists (``units:``) or names (coordinator,
report_to, codes in ``responsible``); ``responsible: all`` means them, never
every unit in the store. Groups: ``kind:X`` (the plan's own units of that kind)
and ``parent:X`` (the units under unit X).
"""

from __future__ import annotations

import re
from typing import Any

# A responsible group: the plan's own units of one kind or under one parent.
GROUP = re.compile(r"^(kind|parent):(\S.*)$")


def group_of(entry: str) -> tuple[str, str] | None:
    """('kind', 'benh-vien') for 'kind:benh-vien'; None for a unit code."""
    m = GROUP.match(entry)
    return (m.group(1), m.group(2).strip()) if m else None


def own_unit_codes(spec: Any) -> list[str]:
    """The plan's own units: those its file lists (units:) or names (coordinator,
    report_to, responsible codes). ``responsible: all`` means these, and nothing
    else in the store."""
    codes = {u.code for u in spec.units} | set(spec.unit_refs) | {spec.coordinator}
    for o in spec.obligations:
        if o.report_to:
            codes.add(o.report_to)
        if o.responsible != "all":
            codes.update(r for r in o.responsible if group_of(r) is None)
    codes.discard("")  # a coordinator missing from a file with problems
    return sorted(codes)
