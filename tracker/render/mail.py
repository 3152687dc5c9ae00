"""Render a digest into a subject, a plain-text body and an HTML body. Pure.

The wording lives in Jinja2 templates (``config/templates/<lang>/``) so an
operator can change it without touching code: ``mail.templates_dir`` is
searched first, then the shipped templates, one file at a time, so overriding
``vi/digest.txt`` alone is enough. This module prepares everything a template
needs (local dates, Vietnamese weekday names, days left or late, what to do) so
templates stay simple.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from tracker.config import Settings
from tracker.core.digest import Digest, DigestItem
from tracker.core.digest_summary import DigestCut, SummaryLine
from tracker.core.outgoing import Rendered
from tracker.core.periods import period_words
from tracker.render.digest_csv import CsvCut
from tracker.core.errors import ConfigError
from tracker.shipped import templates_dir

WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
SENDER_NAME = {"vi": "Hệ thống nhắc hạn công việc", "en": "Deadline tracker"}
_SUBJECT_MAX = 200


def render_digest(digest: Digest, settings: Settings) -> Rendered:
    """The message for one digest, in ``tracker.language``, from the templates."""
    lang = settings.tracker.language
    context = digest_context(digest, settings)
    return _render(settings, lang, "digest", context)


def render_long_digest(listed: Digest, cut: DigestCut, settings: Settings, attachment: str | None,
                       attachment_cut: CsvCut | None = None) -> Rendered:
    """A digest over ``[mail] max_items``: ``listed`` carries the items the message
    lists (``cut.listed``); the subject and the counts speak of every item, and
    the rest is summarised by plan and obligation, with the attachment's name
    and, when ``[web] base_url`` is set, the unit's page (``digest.link``).
    ``attachment_cut``: the attachment stopped at ``[mail] max_attachment_bytes``;
    the message says how many rows it left out and how to get them all."""
    lang = settings.tracker.language
    context = digest_context(listed, settings)
    context.update(
        total=cut.total, counts=dict(cut.counts), rest_total=cut.rest_total, attachment=attachment,
        attachment_cut=attachment_cut,
        attention=cut.total - dict(cut.counts).get("resolved", 0),
        rest=[{"plan": r.plan, "plan_title": r.plan_title, "obligation": r.obligation, "title": r.title,
               "items": r.items, "units": r.units, "max_days_late": r.max_days_late, "text": _rest_text(r, lang)}
              for r in cut.rest],
    )
    return _render(settings, lang, "digest", context)


def _rest_text(line: SummaryLine, lang: str) -> str:
    if lang == "vi":
        text = f"{line.items} việc của {line.units} đơn vị"
        return text + (f", quá hạn nhiều nhất {line.max_days_late} ngày" if line.max_days_late else "")
    text = f"{line.items} item{'s' if line.items != 1 else ''} of {line.units} unit{'s' if line.units != 1 else ''}"
    late = line.max_days_late
    return text + (f", up to {late} day{'s' if late != 1 else ''} late" if late else "")


def render_subject(digest: Digest, settings: Settings) -> str:
    """The subject alone, as ``render_digest`` makes it: ``tracker simulate`` lists
    a year of messages and needs no bodies (two thirds of the rendering time)."""
    text_env, _html_env = _environments(_search_path(settings))
    lang = settings.tracker.language
    return clean_header(_render_one(text_env, f"{lang}/digest_subject.txt", digest_context(digest, settings)))


def render_test(settings: Settings, address: str, now: datetime) -> Rendered:
    """The ``tracker mail test`` message: proves transport, templates and encoding at once."""
    lang = settings.tracker.language
    local = now.astimezone(settings.tz)
    context = {
        "address": address, "transport": settings.mail.transport, "sender": settings.mail.sender,
        "now": local, "now_text": f"{weekday_date(local.date(), lang)} {local:%H:%M}", "lang": lang,
    }
    return _render(settings, lang, "test", context)


def clean_header(value: str, limit: int = _SUBJECT_MAX) -> str:
    """One line: CR, LF and other control characters become spaces, so text
    taken from unit names or plan titles can never start a new header."""
    value = re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]+", " ", value)
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def weekday_date(day: date, lang: str) -> str:
    """``Thứ Hai, 31/05/2021`` (vi) or ``Monday, 31/05/2021`` (en)."""
    return f"{WEEKDAYS[lang][day.weekday()]}, {day:%d/%m/%Y}"


# --- context -------------------------------------------------------------------

@dataclass
class Task:
    """Items of one plan that say the same thing about several units (one
    obligation, period, date and stage group): a coordinator's digest names the
    obligation once and lists the units, instead of repeating it per unit."""

    first: dict[str, Any]
    units: list[str]


@dataclass
class PlanGroup:
    """A digest's items of one plan (an object, not a dict: ``plan.items`` in a
    template would otherwise find dict.items)."""

    code: str
    title: str
    items: list[dict[str, Any]]
    ref: str = ""  # "Kế hoạch số 486/KH-SYT ngày 21/02/2025"
    tasks: list[Task] = field(default_factory=list)


def plan_reference(number: str | None, issued_on: date | None) -> str:
    """'Kế hoạch số 486/KH-SYT ngày 21/02/2025', as a unit finds the plan in its files."""
    if not number and not issued_on:
        return ""
    text = "Kế hoạch"
    if number:
        text += f" số {number}"
    if issued_on:
        text += f" ngày {issued_on:%d/%m/%Y}"
    return text


def _tasks(items: list[dict[str, Any]]) -> list[Task]:
    tasks: dict[tuple, Task] = {}
    for v in items:
        stage = v["stage"] if v["stage"].startswith("after:") else v["stage"].split(":")[0]
        key = (v["obligation"], v["period"], v["due_date"], v["group"], stage, v["extended"])
        if key in tasks:
            tasks[key].units.append(v["unit_name"])
        else:
            tasks[key] = Task(v, [v["unit_name"]])
    return list(tasks.values())


def digest_context(digest: Digest, settings: Settings) -> dict[str, Any]:
    lang = settings.tracker.language
    tz = settings.tz
    today = digest.at.astimezone(tz).date()
    # Each item in its plan's stored zone (the zone the plan's dates were written in),
    # not the configuration's current one: a zone changed after import shifts nothing.
    views = [_item_view(i, digest.at, lang, _zone(i.tz, tz), digest.recipient_unit is None)
             for i in digest.ordered()]
    plans: list[PlanGroup] = []
    for view in views:
        if not plans or plans[-1].code != view["plan"]:
            plans.append(PlanGroup(view["plan"], view["plan_title"], [], view["plan_ref"]))
        plans[-1].items.append(view)
    for plan in plans:
        plan.tasks = _tasks(plan.items)
    counts = {k: sum(1 for v in views if v["group"] == k) for k in ("overdue", "today", "upcoming", "resolved")}
    return {
        "digest": digest, "lang": lang, "recipient_name": digest.recipient_name, "plans": plans, "items": views,
        "counts": counts, "total": len(views), "attention": len(views) - counts["resolved"],  # receipts are not work
        "today": today, "today_text": weekday_date(today, lang),
        "reply_to": list(digest.reply_to), "leadership": digest.recipient_unit is None,
        # A long digest's summary (render_long_digest); empty for one that lists everything.
        "rest": [], "rest_total": 0, "attachment": None, "attachment_cut": None,
        "link": digest.link,  # the recipient unit's signed page, when [web] base_url is set
    }


def _zone(name: str | None, default):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name) if name else default


def _item_view(item: DigestItem, at: datetime, lang: str, tz, leadership: bool = False) -> dict[str, Any]:
    today = at.astimezone(tz).date()
    due_day = item.due_at.astimezone(tz).date()
    end_day = item.ends_at.astimezone(tz).date() if item.ends_at else None
    days = (due_day - today).days  # > 0 left, < 0 late
    group = ("overdue", "today", "upcoming", "resolved")[item.urgency(at)]
    submitted = item.submitted_at.astimezone(tz).date() if item.submitted_at else None
    return {
        "plan": item.plan, "plan_title": item.plan_title, "obligation": item.obligation, "title": item.title,
        "kind": item.kind, "unit": item.unit, "unit_name": item.unit_name, "period": item.period,
        "period_words": _period_text(item.period) if lang == "vi" else item.period,
        "plan_ref": plan_reference(item.plan_number, item.plan_issued_on) if lang == "vi" else (item.plan_number or ""),
        "report_to": item.report_to, "submit_to": item.submit_to, "extended": item.extended,
        "stage": item.stage, "group": group,
        # Plan files mark the date in the source phrase with **…**; mail shows plain text.
        "source": item.source.replace("**", "") if item.source else None, "strict_before": item.strict_before,
        "due_date": due_day, "due_text": weekday_date(due_day, lang),
        "end_date": end_day, "end_text": weekday_date(end_day, lang) if end_day else None,
        "days": days, "days_text": _days_text(item, days, lang),
        "submitted_text": weekday_date(submitted, lang) if submitted else None,
        "action": _action(item, group, lang, leadership),
        "data_period": item.data_period,
    }


def _period_text(period: str) -> str:
    """'Quý I/2025' for 2025-Q1; a key period_words does not know stays as it is."""
    try:
        return period_words(period)
    except ValueError:
        return period


def _days_text(item: DigestItem, days: int, lang: str) -> str:
    """How far the date is from the digest's day, worded for the item's kind."""
    if item.stage == "resolved":
        return "đã nộp" if lang == "vi" else "submitted"
    kind = item.kind if item.kind in ("window", "event") else "deadline"
    if lang == "vi":
        future = {"deadline": "còn {n} ngày", "window": "còn {n} ngày nữa là bắt đầu", "event": "còn {n} ngày nữa"}
        today = {"deadline": "hạn chót là hôm nay", "window": "bắt đầu hôm nay", "event": "diễn ra hôm nay"}
        past = {"deadline": "đã quá hạn {n} ngày", "window": "đã bắt đầu {n} ngày trước",
                "event": "đã diễn ra {n} ngày trước"}
    else:
        future = {"deadline": "{n} {d} left", "window": "starts in {n} {d}", "event": "in {n} {d}"}
        today = {"deadline": "due today", "window": "starts today", "event": "today"}
        past = {"deadline": "{n} {d} late", "window": "started {n} {d} ago", "event": "{n} {d} ago"}
    if days == 0:
        return today[kind]
    n = abs(days)
    return (future if days > 0 else past)[kind].format(n=n, d="day" if n == 1 else "days")


_ACTIONS = {
    "vi": {
        "before": "Đề nghị đơn vị hoàn thành và gửi đúng hạn.",
        "today": "Hôm nay là hạn chót: đề nghị đơn vị gửi ngay trong ngày.",
        "after": "Đơn vị đã quá hạn: đề nghị gửi ngay và báo cáo lý do chậm trễ.",
        "after_lead": "Đơn vị chưa gửi dù đã quá hạn: đề nghị chỉ đạo, đôn đốc.",
        "after_last": "Lần nhắc cuối cùng: đơn vị vẫn chưa gửi dù đã quá hạn; hệ thống sẽ không nhắc thêm, "
                      "đề nghị cơ quan thường trực trực tiếp đôn đốc.",
        "window": "Đề nghị chuẩn bị và tổ chức các hoạt động trong thời gian này.",
        "event": "Đề nghị chuẩn bị các hoạt động hưởng ứng.",
        "resolved": "Đơn vị đã gửi (muộn); không cần đôn đốc thêm.",
    },
    "en": {
        "before": "Please complete and send it on time.",
        "today": "Today is the deadline: please send it today.",
        "after": "The deadline has passed: please send it now and explain the delay.",
        "after_lead": "Still not received after the deadline: please follow up with the unit.",
        "after_last": "Last reminder: still not received after the deadline; no further reminders will be sent, "
                      "please follow up with the unit directly.",
        "window": "Please prepare and hold the activities during this period.",
        "event": "Please prepare the activities for this occasion.",
        "resolved": "Received (late); no further follow-up is needed.",
    },
}


def _action(item: DigestItem, group: str, lang: str, leadership: bool = False) -> str:
    words = _ACTIONS[lang]
    stage = item.stage
    if stage == "resolved":
        return words["resolved"]
    if stage.startswith("after:"):
        if stage == "after:1":
            return words["after"]
        # Level 3 with no leadership list goes to the coordinator again: say it is the last.
        return words["after_last"] if int(stage.split(":")[1]) >= 3 and not leadership else words["after_lead"]
    if stage.startswith("window:"):
        return words["window"]
    if stage.startswith("event:"):
        return words["event"]
    if group == "overdue":  # a deadline reminder caught up after its day
        return words["after"]
    return words["today"] if stage == "before:0" else words["before"]


# --- templates -----------------------------------------------------------------

def _render(settings: Settings, lang: str, name: str, context: dict[str, Any]) -> Rendered:
    text_env, html_env = _environments(_search_path(settings))
    subject = _render_one(text_env, f"{lang}/{name}_subject.txt", context)
    text = _render_one(text_env, f"{lang}/{name}.txt", context)
    html = _render_one(html_env, f"{lang}/{name}.html", context, optional=True)
    return Rendered(clean_header(subject), text.rstrip("\n") + "\n", html)


def _search_path(settings: Settings) -> tuple[str, ...]:
    return _search_path_for(settings.mail.templates_dir.strip())


@lru_cache(maxsize=8)
def _search_path_for(custom: str) -> tuple[str, ...]:
    """Looked up once per process and setting: rendering a digest stats no file."""
    paths = [str(templates_dir())]
    if custom:
        if not Path(custom).is_dir():
            raise ConfigError(f"mail.templates_dir: {custom} is not a directory")
        paths.insert(0, str(Path(custom).resolve()))
    return tuple(paths)


@lru_cache(maxsize=8)
def _environments(search_path: tuple[str, ...]) -> tuple[jinja2.Environment, jinja2.Environment]:
    """Two environments: text without escaping, HTML with it (a unit called
    ``<b>`` stays text). StrictUndefined turns a template typo into an error."""
    common = dict(loader=jinja2.FileSystemLoader(list(search_path), encoding="utf-8"),
                  undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                  keep_trailing_newline=True,
                  # Templates are read once per process; an operator restarts the
                  # daemon after editing one (auto_reload stats the file per render).
                  auto_reload=False)
    return jinja2.Environment(autoescape=False, **common), jinja2.Environment(autoescape=True, **common)


def _render_one(env: jinja2.Environment, name: str, context: dict[str, Any], optional: bool = False) -> Any:
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        if optional:
            return None
        raise ConfigError(f"mail template {name} not found in {', '.join(env.loader.searchpath)}") from None  # type: ignore[union-attr]
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or name}:{exc.lineno}: template error: {exc.message}") from None
    try:
        return template.render(context)
    except Exception as exc:  # an operator's template can fail in any way; name the file
        raise ConfigError(f"{template.filename or name}: template error: {type(exc).__name__}: {exc}") from None
