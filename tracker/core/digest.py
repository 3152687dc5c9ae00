"""What one recipient gets at one time: a digest of stage items. Pure data.

The scheduler builds digests from its decisions; render/mail.py renders them;
the outbox stores the rendered message with the items as JSON.
"""

from __future__ import annotations

from tracker.core.states import Kind
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)  # one per assignment: a year's simulation holds 100,000s
class DigestItem:
    plan: str
    plan_title: str
    obligation: str
    title: str
    kind: str  # deadline | window | event
    unit: str  # the unit the item is about
    unit_name: str
    period: str
    stage: str  # before:N | after:L | window:before:N | window:start | event:before:N | resolved
    due_at: datetime  # UTC: the deadline instant, or the start of a window/event
    ends_at: datetime | None = None  # windows
    source: str | None = None  # the plan's own phrase
    strict_before: bool = False
    submitted_at: datetime | None = None  # for `resolved`
    data_period: str | None = None  # "Số liệu tính từ 15/12/2024 đến 14/6/2025", when the obligation says
    plan_number: str | None = None  # "486/KH-SYT"
    plan_issued_on: date | None = None
    report_to: str | None = None  # the name of the office the work goes to
    submit_to: str | None = None  # where and how to send it, in the plan's words
    extended: bool = False  # the deadline is an extension granted by the coordinator
    tz: str | None = None  # the plan's stored zone: dates are shown in it, whatever the config says now

    def to_json(self, tz: ZoneInfo) -> dict:
        """The item shape of docs/cli.md (simulate --json, outbox items)."""
        return {
            "plan": self.plan, "obligation": self.obligation, "unit": self.unit, "period": self.period,
            "stage": self.stage, "due": self.due_at.astimezone(tz).isoformat(),
        }

    def urgency(self, now: datetime) -> int:
        """0 overdue, 1 due or starting today, 2 upcoming (or under way), 3 resolved: the order of
        a digest, and the tag of its subject.

        Judged by the item's date, not its stage alone: a stage caught up after
        downtime is as late as its date says (a deadline-day reminder sent the
        morning after is overdue; a window start sent days late is under way, not
        "due today").
        """
        if self.stage == "resolved":
            return 3
        if self.stage.startswith("after:") or (self.kind == Kind.DEADLINE and now > self.due_at):
            return 0  # a deadline's instant is the end of its day
        if self.stage == "before:0":
            # Moved to the working day before a deadline on a day off: not due today.
            return 1 if now > self.due_at - timedelta(days=1) else 2
        if self.stage == "window:start":
            # A window opens at local midnight of its first day; that day counts
            # as today. 24 h is a local day except
            # on a DST change, an hour that no send time comes near.
            # A start moved to the working day before is not "today" either.
            return 1 if self.due_at <= now < self.due_at + timedelta(days=1) else 2
        return 2


@dataclass(frozen=True)
class Digest:
    key: str  # unique in the outbox: recipient and send time
    at: datetime  # UTC: when it is (or would be) sent
    recipient_unit: str | None  # None: the leadership list
    recipient_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    items: tuple[DigestItem, ...]
    link: str | None = None  # the recipient unit's signed page, when [web] base_url is set

    def ordered(self) -> list[DigestItem]:
        """Grouped by plan; overdue first, then due today, then upcoming, then resolved."""
        return sorted(self.items, key=lambda i: (i.plan, i.urgency(self.at), i.due_at, i.obligation, i.unit))
