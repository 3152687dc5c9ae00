"""What a scheduler pass reports: each decision it recorded (or, with
--dry-run, would record) and the pass's totals, for the CLI's text and JSON and
the daemon's log (services/tick.py makes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


class DecisionRow(NamedTuple):
    """One recorded (or, with --dry-run, would-be) decision, for output. A tuple:
    a pass after a mass import makes millions (a frozen dataclass cost 4x as much)."""

    assignment_id: int
    plan: str
    obligation: str
    unit: str
    period: str
    stage: str
    due: datetime
    scheduled_at: datetime
    outcome: str
    reason: str
    recipients: tuple[str, ...]
    outbox_key: str | None

    def to_json(self, tz) -> dict:
        return {
            "plan": self.plan, "obligation": self.obligation, "unit": self.unit, "period": self.period,
            "stage": self.stage, "due": self.due.astimezone(tz).isoformat(),
            "scheduled_at": self.scheduled_at.astimezone(tz).isoformat(), "outcome": self.outcome,
            "reason": self.reason, "recipients": list(self.recipients), "outbox_key": self.outbox_key,
        }


@dataclass
class TickResult:
    now: datetime
    dry_run: bool = False
    materialised: int = 0
    evaluated: int = 0
    # The decisions, when the caller did not ask to see them batch by batch
    # (``on_decisions``): a pass after a mass import decides hundreds of thousands.
    decisions: list[DecisionRow] = field(default_factory=list)
    decided: int = 0
    sent: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)  # outbox keys enqueued: one per recipient and instant
    composed: int = 0  # messages rendered (this pass's, and any a crashed pass left)
    delivered: int | None = None  # None: --dry-run (or deliver=False) did not deliver
    errors: int = 0
    deferred: bool = False  # another process was deciding: this pass only delivered
    elapsed: float = 0.0
    scorecards: int = 0  # end-of-period scorecard messages queued (services/scorecard_mail.py)
    delivery: Any = None  # the DeliveryReport, when it delivered
    delivery_failed: bool = False  # something was tried and every attempt failed

    def summary(self, tz) -> str:
        head = "dry run" if self.dry_run else "tick"
        delivered = "delivery skipped" if self.delivered is None else f"{self.delivered} delivered"
        text = (f"{head} at {self.now.astimezone(tz):%Y-%m-%d %H:%M %z}: {self.decided} decided "
                f"({self.sent} sent stages, {self.skipped} skipped), {len(set(self.messages))} messages enqueued, "
                f"{delivered}; {self.evaluated} assignments looked at, {self.materialised} materialised")
        if self.scorecards:
            text += f", {self.scorecards} scorecard messages"
        if self.deferred:
            text += ", deciding left to another process"
        if self.errors:
            text += f", {self.errors} errors (see log)"
        return text + f" in {self.elapsed:.2f} s"
