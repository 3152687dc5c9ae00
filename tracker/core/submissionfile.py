"""Read a file of submissions (`tracker submit --from`). Pure: text in, rows out.

Columns (header, any order): unit, obligation, and optionally period, at (when
it arrived: yyyy-mm-dd[ HH:MM] or dd/mm/yyyy[ HH:MM], local time), note, plan.
Every problem is collected with its line before anything is recorded.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from tracker.core.errors import InputError
from tracker.core.yamltext import nfc
from tracker.core.schedule import DateError, parse_date
from tracker.core.tabletext import sniff_delimiter

COLUMNS = ("unit", "obligation", "period", "at", "note", "plan")
_REQUIRED = ("unit", "obligation")
_TIME = re.compile(r"^(.*?)[ T](\d{1,2}):(\d{2})(?::\d{2})?$")


@dataclass(frozen=True)
class SubmissionRow:
    where: str  # file:line
    unit: str
    obligation: str
    period: str | None
    at: datetime | None  # aware
    note: str | None
    plan: str | None


def parse_submissions(text: str, filename: str, tz: ZoneInfo) -> tuple[list[SubmissionRow], list[InputError]]:
    text = nfc(text.lstrip("\ufeff"))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text.split("\n", 1)[0]),
                               strict=True))
    except csv.Error as exc:
        raise InputError(f"invalid CSV: {exc}", filename) from None
    if not rows:
        raise InputError(f"empty file: expected a header {','.join(COLUMNS)}", filename)
    header = [h.strip().lower() for h in rows[0]]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [h for h in _REQUIRED if h not in header]
    if unknown or missing:
        parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + \
                ([f"missing column(s) {', '.join(missing)}"] if missing else [])
        raise InputError(f"{'; '.join(parts)} (columns: {','.join(COLUMNS)})", f"{filename}:1")
    out: list[SubmissionRow] = []
    errors: list[InputError] = []
    for lineno, row in enumerate(rows[1:], start=2):
        where = f"{filename}:{lineno}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(InputError(f"expected {len(header)} fields, found {len(row)}", where))
            continue
        v = {h: cell.strip() for h, cell in zip(header, row)}
        if not v.get("unit") or not v.get("obligation"):
            errors.append(InputError("unit and obligation are required", where))
            continue
        at = None
        if v.get("at"):
            try:
                at = _instant(v["at"], tz)
            except DateError as exc:
                errors.append(InputError(f"at: {exc}", where))
                continue
        out.append(SubmissionRow(where, v["unit"], v["obligation"], v.get("period") or None, at,
                                 v.get("note") or None, v.get("plan") or None))
    return out, errors


def _instant(text: str, tz: ZoneInfo) -> datetime:
    m = _TIME.match(text)
    day_text, clock = (m.group(1), time(int(m.group(2)), int(m.group(3)))) if m else (text, time(0, 0))
    if clock.hour > 23:
        raise DateError(f"{text!r} is not a time of day")
    return datetime.combine(parse_date(day_text.strip(), None), clock, tzinfo=tz)
