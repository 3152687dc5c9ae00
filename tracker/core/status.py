"""Status rules: the states users see, and how one assignment's state and days
late follow from its stored state, its deadline, its submission and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tracker.core.dataperiod import DataPeriod
from tracker.core.schedule import is_late
from tracker.core.states import AssignmentState, Kind, Status

STATES = tuple(Status)


@dataclass(frozen=True)
class StatusRow:
    plan: str
    obligation: str
    title: str
    unit: str
    unit_name: str
    period: str
    due: datetime  # local time
    state: str
    submitted_at: datetime | None  # local time
    days_late: int
    # With include_all_kinds: windows and events too (``due`` is then their first
    # moment, ``ends`` a window's last); not part of the JSON contract.
    kind: str = Kind.DEADLINE
    ends: datetime | None = None  # local time
    data_period: DataPeriod | None = None  # the figures the report covers, when the obligation says

    def to_json(self) -> dict:
        """The contract shape of docs/cli.md (extra keys may follow)."""
        return {
            "plan": self.plan, "obligation": self.obligation, "unit": self.unit, "period": self.period,
            "due": self.due.isoformat(), "state": self.state,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "days_late": self.days_late, "title": self.title, "unit_name": self.unit_name,
            "data_from": self.data_period.start.isoformat() if self.data_period else None,
            "data_to": self.data_period.end.isoformat() if self.data_period else None,
        }


def derive_state(a_state: str, due_at: datetime, submitted_at: datetime | None, now: datetime,
                 tz: ZoneInfo, returned_at: datetime | None = None) -> tuple[str, int]:
    """(state users see, days late) from the stored state; pure. ``now`` is an "as
    of": a submission made after it is not seen (``--now`` replays the past)."""
    due_day = due_at.astimezone(tz).date()
    if a_state == AssignmentState.WAIVED:
        return Status.WAIVED, 0
    if a_state == AssignmentState.RECEIVED and submitted_at is not None and submitted_at <= now:
        late = is_late(submitted_at, due_at)
        return Status.RECEIVED, (submitted_at.astimezone(tz).date() - due_day).days if late else 0
    if a_state == AssignmentState.OPEN and returned_at is not None:
        return Status.RETURNED, max(0, (now.astimezone(tz).date() - due_day).days) if now > due_at else 0
    if a_state == AssignmentState.SUBMITTED and submitted_at is not None and submitted_at <= now:
        if is_late(submitted_at, due_at):
            return Status.LATE, (submitted_at.astimezone(tz).date() - due_day).days
        return Status.SUBMITTED, 0
    if now > due_at:
        return Status.OVERDUE, (now.astimezone(tz).date() - due_day).days
    return Status.PENDING, 0


def summarise(rows: list[StatusRow]) -> dict[str, int]:
    counts = {s: 0 for s in STATES}
    for r in rows:
        counts[r.state] += 1
    return counts
