"""The weekly summary's wording. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.core.periods import period_words
from tracker.render.vi import fmt_date

_GROUPS = (("overdue", "Quá hạn, chưa nộp"), ("submitted", "Đã nộp trong 7 ngày qua"),
           ("upcoming", "Đến hạn trong 7 ngày tới"))


@dataclass(frozen=True)
class SummaryLine:
    group: str  # overdue | submitted | upcoming
    plan: str
    title: str
    period: str
    unit_name: str
    due: datetime  # local
    submitted_at: datetime | None  # local


def _words(period: str) -> str:
    try:
        return period_words(period)
    except ValueError:
        return period


def render_summary(recipient: str, lines: list[SummaryLine], today: date) -> tuple[str, str]:
    counts = {g: sum(1 for line in lines if line.group == g) for g, _ in _GROUPS}
    subject = (f"[Tổng hợp tuần] {counts['overdue']} việc quá hạn, {counts['submitted']} đã nộp, "
               f"{counts['upcoming']} đến hạn tuần tới")
    out = [f"Kính gửi: {recipient}", "", f"Tổng hợp tình hình thực hiện đến ngày {fmt_date(today)}:"]
    for group, heading in _GROUPS:
        mine = [line for line in lines if line.group == group]
        out += ["", f"== {heading} ({len(mine)}) =="]
        # One obligation and period, then its units: a week can hold many units.
        seen: dict[tuple, list[str]] = {}
        for line in mine:
            seen.setdefault((line.plan, line.title, line.period, line.due.date()), []).append(line.unit_name)
        for (plan, title, period, due), units in seen.items():
            out.append(f"- {title} ({_words(period)}, hạn {fmt_date(due)}; {plan}): {', '.join(units)}")
        if not mine:
            out.append("- không có")
    out += ["", "Thư này được gửi tự động từ hệ thống nhắc hạn công việc."]
    return subject, "\n".join(out) + "\n"
