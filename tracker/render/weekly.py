"""The weekly summary's wording: a plain-text part and an HTML part with the
digests' look (``config/templates/vi/weekly.html``, autoescaped, overridable
through ``mail.templates_dir`` like every mail template). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.config import Settings
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


@dataclass(frozen=True)
class Entry:
    """One obligation and period of a group, then its units: a week can hold many units."""

    plan: str
    title: str
    period: str  # in words: "Quý I/2025"
    due: str  # dd/mm/yyyy
    units: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    key: str  # overdue | submitted | upcoming
    heading: str
    count: int  # assignments (unit and period), not entries
    entries: tuple[Entry, ...]


def groups_of(lines: list[SummaryLine]) -> list[Group]:
    out = []
    for group, heading in _GROUPS:
        mine = [line for line in lines if line.group == group]
        seen: dict[tuple, list[str]] = {}
        for line in mine:
            seen.setdefault((line.plan, line.title, line.period, line.due.date()), []).append(line.unit_name)
        out.append(Group(group, heading, len(mine), tuple(
            Entry(plan, title, _words(period), fmt_date(due), tuple(units))
            for (plan, title, period, due), units in seen.items())))
    return out


def render_summary(recipient: str, lines: list[SummaryLine], today: date) -> tuple[str, str]:
    """The subject and the plain-text part."""
    groups = groups_of(lines)
    counts = {g.key: g.count for g in groups}
    subject = (f"[Tổng hợp tuần] {counts['overdue']} việc quá hạn, {counts['submitted']} đã nộp, "
               f"{counts['upcoming']} đến hạn tuần tới")
    out = [f"Kính gửi: {recipient}", "", f"Tổng hợp tình hình thực hiện đến ngày {fmt_date(today)}:"]
    for g in groups:
        out += ["", f"== {g.heading} ({g.count}) =="]
        for e in g.entries:
            out.append(f"- {e.title} ({e.period}, hạn {e.due}; {e.plan}): {', '.join(e.units)}")
        if not g.entries:
            out.append("- không có")
    out += ["", "Thư này được gửi tự động từ hệ thống nhắc hạn công việc."]
    return subject, "\n".join(out) + "\n"


def render_summary_html(recipient: str, lines: list[SummaryLine], today: date, settings: Settings) -> str | None:
    """The HTML part, from ``vi/weekly.html``: the summary is worded in Vietnamese
    whatever tracker.language says, like its text part."""
    from tracker.render.mail import _environments, _render_one, _search_path

    _text_env, html_env = _environments(_search_path(settings))
    context = {"recipient_name": recipient, "today_text": fmt_date(today), "groups": groups_of(lines)}
    return _render_one(html_env, "vi/weekly.html", context, optional=True)
