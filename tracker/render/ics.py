"""Deadlines, windows and events as an RFC 5545 calendar. Pure: data in, bytes out.

Choices (and why):
- **Deadlines are timed events ending at the deadline instant** (a one-minute
  slot, 23:59–23:59:59 local, TZID-qualified). The instant is what the rules
  compute (the end of the last acceptable day, after moving off weekends and
  holidays), so a timed event carries it exactly, in the plan's zone, and can
  never slide to another day in a client set to another zone; month and agenda
  views show it as "23:59 Hạn nộp: …", i.e. "by the end of that day". The day
  and time are repeated in DESCRIPTION for clients that show only the date.
  TRANSP:TRANSPARENT keeps it out of anyone's free/busy.
- **Windows and events are all-day** (DTEND is the day after the last day, as
  RFC 5545 wants), since they have no hour.
- **UIDs** are UUIDv5 of plan/obligation/unit/period (``*`` for the all-units
  calendar): the same assignment gets the same UID in every export, so a
  re-import or a subscription refresh updates the event instead of adding one.
- **Alarms** ring when the mailer reminds (``policy.ladder``): N days before,
  at the configured send hour, moved back to the previous working day when that
  day is off. Only alarms still ahead of ``now`` on assignments still open are written:
  clients pop past alarms as "overdue" on import, and a unit that has submitted
  needs no reminder.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.render import vi
from tracker.core.report import ReportData
from tracker.core.status import StatusRow
from tracker.core.states import Kind, Status

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:tracker:calendar")
PRODID = "-//tracker//Han nop bao cao//VI"


def event_uid(plan: str, obligation: str, unit: str | None, period: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{plan}/{obligation}/{unit or '*'}/{period}"))


def render_ics(data: ReportData) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = _calendar_name(data)
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what Google, Apple and Outlook read
    cal.add("x-wr-timezone", str(data.tz))
    # Subscribed calendars: ask clients to refresh twice a day.
    cal.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    for rows in _groups(data):
        cal.add_component(_event(data, rows))
    # One VTIMEZONE per TZID used, generated from the zoneinfo database.
    cal.add_missing_timezones()
    return cal.to_ical()


def _calendar_name(data: ReportData) -> str:
    who = data.unit_name or "tất cả đơn vị"
    plans = ", ".join(p.number or p.code for p in data.plans) if data.plan else "các kế hoạch"
    return f"Hạn nộp – {who} ({plans})"


def _groups(data: ReportData) -> list[list[StatusRow]]:
    """One event per assignment for a unit's calendar; for the all-units
    calendar one per (plan, obligation, period), listing the units."""
    if data.unit:
        return [[r] for r in data.rows]
    grouped: dict[tuple[str, str, str], list[StatusRow]] = defaultdict(list)
    for r in data.rows:
        grouped[(r.plan, r.obligation, r.period)].append(r)
    return list(grouped.values())


def _event(data: ReportData, rows: list[StatusRow]):
    from icalendar import Alarm, Event

    first = rows[0]
    ob = data.obligation(first)
    plan = data.plan_info(first.plan)
    tz = ZoneInfo(plan.timezone)
    unit = first.unit if data.unit else None
    ev = Event()
    ev.add("uid", event_uid(first.plan, first.obligation, unit, first.period))
    ev.add("dtstamp", data.now)
    ev.add("summary", _summary(ob.kind, ob.title, rows, single=unit is not None))
    ev.add("categories", [vi.KIND[ob.kind]])
    ev.add("transp", "TRANSPARENT")
    if unit and first.state == Status.WAIVED:
        ev.add("status", "CANCELLED")  # the unit was excused: clients strike it through
    else:
        ev.add("status", "CONFIRMED")

    if ob.kind == Kind.DEADLINE:
        # All-day on the last acceptable day (a one-minute event at 23:59 hides in
        # a calendar's night); the alarms ring at the send hour, as the mail goes.
        start_day = first.due.astimezone(tz).date()
        ev.add("dtstart", start_day)
        ev.add("dtend", start_day + timedelta(days=1))
        start_at = datetime.combine(start_day, datetime.min.time(), tzinfo=tz)
    else:
        start_day = first.due.astimezone(tz).date()
        last_day = first.ends.astimezone(tz).date() if first.ends else start_day
        ev.add("dtstart", start_day)
        ev.add("dtend", last_day + timedelta(days=1))
        # All-day DTSTART is floating midnight: triggers count from there.
        start_at = datetime.combine(start_day, datetime.min.time(), tzinfo=tz)

    ev.add("description", _description(data, rows, tz))

    if _wants_alarms(data, ob.kind, rows):
        for _days, ring_at in alarm_times(data, first, ob.reminders):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", _alarm_text(ob.kind, ob.title, first.due.astimezone(tz)))
            alarm.add("trigger", ring_at.astimezone(tz) - start_at)
            ev.add_component(alarm)
    return ev


def alarm_times(data: ReportData, row: StatusRow, reminders: tuple[int, ...] | None) -> list[tuple[int, datetime]]:
    """(days before, instant) of each reminder the mailer would send for this
    assignment and that is still ahead of ``now``, earliest first. The policy
    decides (working days, send hour, per-obligation days); when two reminders
    land on one day the mailer sends one, so the calendar rings once."""
    from tracker.core.policy import Target, ladder

    target = Target(kind=row.kind, due_at=row.due, unit=row.unit, coordinator="", ends_at=row.ends,
                    reminders=reminders)
    by_time: dict[datetime, int] = {}
    for stage in ladder(target, data.calendar, data.policy):
        if stage.name.startswith("after:") or stage.at <= data.now:
            continue
        days = -stage.rank  # reminders rank -N; window:start ranks 0
        by_time[stage.at] = min(days, by_time.get(stage.at, days))
    return sorted(((d, at) for at, d in by_time.items()), key=lambda x: x[1])


def _wants_alarms(data: ReportData, kind: str, rows: list[StatusRow]) -> bool:
    if kind == Kind.DEADLINE:
        return any(r.state == Status.PENDING for r in rows)
    return rows[0].due > data.now  # windows and events: until they begin


def _summary(kind: str, title: str, rows: list[StatusRow], *, single: bool) -> str:
    if kind != Kind.DEADLINE:
        return title
    text = f"Hạn nộp: {title}"
    if single:
        state = rows[0].state
        return text if state == Status.PENDING else f"{text} ({vi.STATE[state]})"
    open_ = sum(r.state in (Status.PENDING, Status.OVERDUE) for r in rows)
    return f"{text} ({open_}/{len(rows)} đơn vị chưa nộp)" if open_ else f"{text} (đã đủ)"


def _alarm_text(kind: str, title: str, day: datetime) -> str:
    # The date, not "in N days": an alarm moved off a weekend rings earlier than N.
    if kind == Kind.DEADLINE:
        return f"Nhắc hạn nộp {vi.fmt_day(day)}: {title}"
    if kind == Kind.WINDOW:
        return f"Sắp bắt đầu ({vi.fmt_day(day)}): {title}"
    return f"Sắp đến {vi.fmt_day(day)}: {title}"


def _description(data: ReportData, rows: list[StatusRow], tz: ZoneInfo) -> str:
    first = rows[0]
    ob = data.obligation(first)
    plan = data.plan_info(first.plan)
    lines = [f"Kế hoạch {plan.number or plan.code} của {plan.issuer}: {plan.title}"]
    if ob.kind == Kind.DEADLINE:
        lines.append(f"Hạn cuối: {vi.fmt_instant(first.due.astimezone(tz))} (giờ {tz.key})")
        if first.data_period:
            lines.append(first.data_period.words())
    elif ob.kind == Kind.WINDOW:
        end = first.ends.astimezone(tz) if first.ends else first.due
        lines.append(f"Thời gian: {vi.fmt_day(first.due.astimezone(tz))} – {vi.fmt_day(end)}")
    else:
        lines.append(f"Ngày: {vi.fmt_day(first.due.astimezone(tz))}")
    if ob.due_text:
        yearly = f" (kế hoạch năm {plan.year}, áp dụng hằng năm)" if not first.period.startswith(str(plan.year)) else ""
        lines.append(f"Theo văn bản: {vi.rule_phrase(ob.kind, ob.strict_before, ob.due_text)}{yearly}")
    as_of = f"(tính đến {data.now:%H:%M %d/%m/%Y})"
    if data.unit:
        lines.append(f"Đơn vị: {first.unit_name}")
        if ob.kind == Kind.DEADLINE:
            lines.append(f"Trạng thái: {vi.state_phrase(first.state, first.days_late)} {as_of}")
            if first.submitted_at:
                lines.append(f"Đã nộp lúc: {vi.fmt_instant(first.submitted_at.astimezone(tz))}")
    elif ob.kind == Kind.DEADLINE:
        lines.append(f"Trạng thái {as_of}:")
        for state in (Status.OVERDUE, Status.PENDING, Status.LATE, Status.SUBMITTED, Status.WAIVED):
            names = [r.unit_name for r in rows if r.state == state]
            if names:
                lines.append(f"- {vi.STATE[state].capitalize()} ({len(names)}): {'; '.join(names)}")
    else:
        lines.append(f"Đơn vị: {'; '.join(r.unit_name for r in rows)}")
    if ob.source:
        where = f" (dòng {ob.source_line})" if ob.source_line else ""
        lines.append(f"Nguồn{where}: “{vi.plain_source(ob.source)}”")
    return "\n".join(lines)
