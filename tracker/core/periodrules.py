"""The plan-file fields of periodic reports: ``data_period``, ``due_after_cutoff``
and ``short_months`` (docs/plan-file.md). Pure; used by planfile.py, which
collects every problem of a file before raising.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.core.dataperiod import DECREE_09, DataPeriodRule, decree09, shift_months
from tracker.core.schedule import DateError, parse_date, period_label
from tracker.core.states import Kind

MAX_WORKING_DAYS = 60  # two working months: anything more is a typo, not a reporting rule
_HOW = "data_period: decree-09 or data_period: {from: 15/12, to: 14/6}"


def monthly_day_problem(first: date | None, recurrence: str, short_months: Any) -> str | None:
    """A monthly deadline on the 29th-31st: it does not exist in every month.
    Say so unless the plan explicitly takes each short month's last day."""
    if short_months not in (None, "last_day"):
        return f"short_months must be last_day, not {short_months!r}"
    if first is None or recurrence != "monthly" or first.day <= 28 or short_months == "last_day":
        return None
    return (f"due day {first.day} does not exist in every month: a monthly deadline needs a day from 1 to 28, "
            f"or short_months: last_day to take a shorter month's last day")


def _data_rule(c, node: dict, label: str, kind: str, recurrence: str, year: int | None) -> DataPeriodRule | None:
    raw = node.get("data_period")
    if raw is None:
        return None
    if kind != Kind.DEADLINE:
        c.add(f"{label}: data_period applies to deadlines only", node, "data_period")
        return None
    if isinstance(raw, str) and raw.strip() == DECREE_09:
        if recurrence == "none":
            c.add(f"{label}: data_period decree-09 names the period of a periodic report, but this obligation "
                  f"has no recurrence (monthly, quarterly, half-yearly, nine-monthly or yearly)", node, "data_period")
            return None
        return DataPeriodRule(DECREE_09)
    if not isinstance(raw, dict) or set(raw) != {"from", "to"}:
        c.add(f"{label}: data_period must be {_HOW}, not {raw!r}", node, "data_period")
        return None
    try:
        start, end = parse_date(raw["from"], year), parse_date(raw["to"], year)
    except DateError as exc:
        c.add(f"{label}: data_period: {exc}", node, "data_period")
        return None
    if start > end and not _has_year(raw["from"]):
        start = shift_months(start, -12)  # 15/12 - 14/6: the figures start the year before
    if start > end:
        c.add(f"{label}: data_period ends ({end}) before it starts ({start})", node, "data_period")
        return None
    return DataPeriodRule("explicit", start, end)


def _has_year(value: Any) -> bool:
    return not isinstance(value, str) or str(value).count("/") == 2 or "-" in str(value)


def cutoff_fields(c, node: dict, label: str, kind: str, recurrence: str, year: int | None
                  ) -> tuple[int | None, DataPeriodRule | None, date | None, str]:
    """(working days after the cut-off, the data period rule, the first period's
    cut-off day, the due text) of one obligation node; problems go to ``c``."""
    rule = _data_rule(c, node, label, kind, recurrence, year)
    if "due_after_cutoff" not in node:
        return None, rule, None, ""
    raw = node["due_after_cutoff"]
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_WORKING_DAYS:
        c.add(f"{label}: due_after_cutoff must be a number of working days from 1 to {MAX_WORKING_DAYS}, "
              f"not {raw!r}", node, "due_after_cutoff")
        return None, rule, None, ""
    if kind != Kind.DEADLINE:
        c.add(f"{label}: due_after_cutoff applies to deadlines only", node, "due_after_cutoff")
        return None, rule, None, ""
    if node.get("due") not in (None, ""):
        c.add(f"{label}: give due or due_after_cutoff, not both", node, "due_after_cutoff")
        return None, rule, None, ""
    if rule is None:
        if "data_period" not in node:  # (a bad data_period was reported already)
            c.add(f"{label}: due_after_cutoff counts working days after the data cut-off, but the obligation "
                  f"names no data period: add {_HOW}", node, "due_after_cutoff")
        return None, None, None, ""
    if year is None:
        return raw, rule, None, ""
    first = decree09(period_label(recurrence, year, 0)).end if rule.rule == DECREE_09 else rule.first_to
    return raw, rule, first, f"{raw} ngày làm việc sau ngày chốt số liệu"
