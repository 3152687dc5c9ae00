"""Tables. Domain timestamps are always set by the code (time is a parameter),
never defaulted by the database, so a frozen clock governs everything.

Stored assignment states are ``open``, ``submitted`` and ``waived``; the
states users see (pending, overdue, submitted, late, waived) are derived from
them, the due instant and ``now`` (see services/status.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracker.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    head_email: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(String(64))
    # active | retired; a retired unit keeps its history. merged_into names the successor.
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date | None] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    coordinator_code: Mapped[str] = mapped_column(String(64))
    # Codes listed in the plan file's units: section; "responsible: all" means
    # these units, or every active unit when the plan lists none.
    unit_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    obligations: Mapped[list["Obligation"]] = relationship(back_populates="plan", order_by="Obligation.position")


class Obligation(Base):
    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # deadline | window | event
    # As written in the plan file, and resolved against the plan's year.
    due_text: Mapped[str | None] = mapped_column(Text)
    first_date: Mapped[date] = mapped_column(Date)  # deadline: due; window: start; event: date
    last_date: Mapped[date | None] = mapped_column(Date)  # window: end
    strict_before: Mapped[bool] = mapped_column(Boolean, default=False)
    recurrence: Mapped[str] = mapped_column(String(16), default="none")
    responsible: Mapped[Any] = mapped_column(JSON)  # "all" or [unit codes]
    report_to: Mapped[str | None] = mapped_column(String(64))
    shift: Mapped[str | None] = mapped_column(String(32))  # None: the config default
    reminders: Mapped[list[int] | None] = mapped_column(JSON)
    escalation: Mapped[list[int] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(32))
    # Assignments exist for every period whose date is on or before this day.
    materialised_until: Mapped[date | None] = mapped_column(Date)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)  # dropped from the plan file

    plan: Mapped[Plan] = relationship(back_populates="obligations")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("obligation_id", "unit_id", "period"),
        # The scheduler polls "next_action_at <= now"; rows with nothing left to do
        # hold NULL there, so years of history never enter the range scanned.
        Index("ix_assignments_next_action_at", "next_action_at"),
        # status --state overdue|pending: open rows by due time.
        Index("ix_assignments_state_due_at", "state", "due_at"),
        Index("ix_assignments_unit_id_due_at", "unit_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # copied from the obligation for indexed queries
    base_due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # from the rules
    extended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # granted by the coordinator
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # effective: extended_until or base_due_at
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # windows
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted | waived
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    obligation: Mapped[Obligation] = relationship()
    unit: Mapped[Unit] = relationship()


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(Boolean)


class Waiver(Base):
    __tablename__ = "waivers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    waived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)


class Decision(Base):
    """One (assignment, stage), decided once: sent or skipped. The unique key is
    what keeps a stage from being sent twice, across restarts and daemons."""

    __tablename__ = "decisions"
    # Keyed by the deadline too: an extension or a changed date starts a fresh
    # ladder for the new date, while the old decisions stay as history.
    __table_args__ = (UniqueConstraint("assignment_id", "due_at", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the deadline the stage was decided for
    stage: Mapped[str] = mapped_column(String(32))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the policy wanted it
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | skipped
    recipients: Mapped[list[str] | None] = mapped_column(JSON)  # who it went to (for `resolved`)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)


class OutboxMessage(Base):
    """One digest to one recipient. Queued -> sending (claimed) -> sent | failed."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_unit: Mapped[str | None] = mapped_column(String(64))
    to_addrs: Mapped[list[str]] = mapped_column(JSON)
    cc_addrs: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[dict]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_recipients: Mapped[list[str] | None] = mapped_column(JSON)
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
