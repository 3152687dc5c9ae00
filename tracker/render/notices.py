"""Messages about one assignment, outside the digests: a report returned to its
unit. Pure: plain data in, a rendered message out (templates ``returned*``)."""

from __future__ import annotations

from datetime import datetime

from tracker.config import Settings
from tracker.core.outgoing import Rendered
from tracker.core.periods import period_words
from tracker.render.mail import _render, weekday_date


def render_returned(settings: Settings, *, unit_name: str, title: str, plan_title: str, plan_number: str | None,
                    period: str, due_at: datetime, reason: str, link: str | None, now: datetime,
                    reopened: bool = False) -> Rendered:
    """``reopened``: the unit had been told its report was in (accepted, or a late one
    acknowledged): the message says that no longer holds."""
    lang = settings.tracker.language
    tz = settings.tz
    due_day = due_at.astimezone(tz).date()
    days = (due_day - now.astimezone(tz).date()).days
    if lang == "vi":
        days_text = "hạn chót là hôm nay" if days == 0 else (f"còn {days} ngày" if days > 0 else f"đã quá hạn {-days} ngày")
    else:
        days_text = "due today" if days == 0 else (f"{days} days left" if days > 0 else f"{-days} days late")
    context = {
        "unit_name": unit_name, "title": title, "plan_title": plan_title, "plan_number": plan_number,
        "period": period, "period_text": period_words(period), "due_text": weekday_date(due_day, lang),
        "days_text": days_text, "reason": reason, "link": link, "lang": lang, "reopened": reopened,
    }
    return _render(settings, lang, "returned", context)
