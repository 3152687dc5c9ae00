"""Vietnamese wording shared by the calendar and the report. Pure."""

from __future__ import annotations

from tracker.core.states import Kind, Status
import re
from datetime import date, datetime

STATE = {
    "pending": "chưa đến hạn",
    "overdue": "quá hạn",
    "received": "đã gửi, chờ xác nhận",
    "returned": "bị trả lại",
    "submitted": "nộp đúng hạn",
    "late": "nộp muộn",
    "waived": "được miễn",
}
KIND = {"deadline": "Hạn nộp", "window": "Đợt hoạt động", "event": "Sự kiện"}
_WEEKDAY = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
MONTH_SHORT = tuple(f"T{m}" for m in range(1, 13))
_MARK = re.compile(r"\*\*(.+?)\*\*")


def weekday(day: date) -> str:
    return _WEEKDAY[day.weekday()]


def fmt_date(day: date | datetime) -> str:
    return f"{day:%d/%m/%Y}"


def fmt_day(day: date | datetime) -> str:
    """'thứ Hai, 31/05/2021'."""
    return f"{weekday(day)}, {fmt_date(day)}"


def fmt_instant(value: datetime) -> str:
    """'23:59 thứ Hai, 31/05/2021' (local time of ``value``)."""
    return f"{value:%H:%M} {fmt_day(value)}"


def state_phrase(state: str, days_late: int) -> str:
    """'quá hạn 3 ngày', 'nộp muộn 1 ngày', 'nộp đúng hạn'."""
    text = STATE.get(state, state)
    if state in (Status.OVERDUE, Status.LATE, Status.RETURNED) and days_late:
        text += f" {days_late} ngày"
    return text


AFTER_CUTOFF = "sau ngày chốt số liệu"  # the end of a due_after_cutoff obligation's due text (core/periodrules.py)


def rule_phrase(kind: str, strict_before: bool, due_text: str | None) -> str:
    """The date rule as the plan words it: 'trước ngày 30/5/2021', 'chậm nhất ngày 31/5'."""
    text = due_text or ""
    if kind == Kind.DEADLINE and text.endswith(AFTER_CUTOFF):  # due_after_cutoff: "3 ngày làm việc sau …"
        return "chậm nhất " + text
    if kind == Kind.DEADLINE:
        return ("trước ngày " if strict_before else "chậm nhất ngày ") + text
    return ("từ ngày " if kind == Kind.WINDOW else "ngày ") + text


def plain_source(source: str | None) -> str:
    """Plan files mark the date phrase with **…**; calendars get plain text."""
    return _MARK.sub(r"\1", source or "")


def source_parts(source: str | None) -> list[tuple[str, bool]]:
    """The source phrase as (text, marked) pieces, so a template can highlight
    the date phrase while autoescaping every piece."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    text = source or ""
    for m in _MARK.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], False))
        parts.append((m.group(1), True))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts
