"""The ORM classes, mapped onto the Core tables of ``tables.py`` (where the
columns, constraints and indexes are described). The annotations give the
attributes their types; the relationships are what the services navigate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, relationship

from tracker.store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class Unit(Base):
    __table__ = tables.units

    id: Mapped[int]
    code: Mapped[str]
    name: Mapped[str]
    emails: Mapped[list[str]]
    head_email: Mapped[str | None]
    kind: Mapped[str | None]
    parent_code: Mapped[str | None]
    status: Mapped[str]
    merged_into: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    bouncing: Mapped[dict[str, Any] | None]
    link_version: Mapped[int]


class Plan(Base):
    __table__ = tables.plans

    id: Mapped[int]
    code: Mapped[str]
    number: Mapped[str | None]
    issuer: Mapped[str]
    place: Mapped[str | None]
    issued_on: Mapped[date | None]
    year: Mapped[int]
    title: Mapped[str]
    coordinator_code: Mapped[str]
    unit_codes: Mapped[list[str]]
    valid_until: Mapped[date | None]
    timezone: Mapped[str]
    source_file: Mapped[str | None]
    content_hash: Mapped[str]
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    obligations: Mapped[list["Obligation"]] = relationship(back_populates="plan", order_by="Obligation.position")


class Obligation(Base):
    __table__ = tables.obligations

    id: Mapped[int]
    plan_id: Mapped[int]
    code: Mapped[str]
    position: Mapped[int]
    title: Mapped[str]
    kind: Mapped[str]
    due_text: Mapped[str | None]
    first_date: Mapped[date]
    last_date: Mapped[date | None]
    strict_before: Mapped[bool]
    recurrence: Mapped[str]
    responsible: Mapped[Any]
    report_to: Mapped[str | None]
    submit_to: Mapped[str | None]
    shift: Mapped[str | None]
    reminders: Mapped[list[int] | None]
    escalation: Mapped[list[int] | None]
    source: Mapped[str | None]
    source_line: Mapped[int | None]
    category: Mapped[str | None]
    due_after_cutoff: Mapped[int | None]
    data_period: Mapped[dict | None]
    materialised_until: Mapped[date | None]
    retired: Mapped[bool]

    plan: Mapped[Plan] = relationship(back_populates="obligations")


class Assignment(Base):
    __table__ = tables.assignments

    id: Mapped[int]
    obligation_id: Mapped[int]
    unit_id: Mapped[int]
    period: Mapped[str]
    kind: Mapped[str]
    base_due_at: Mapped[datetime]
    extended_until: Mapped[datetime | None]
    due_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    state: Mapped[str]
    submitted_at: Mapped[datetime | None]
    waived_at: Mapped[datetime | None]
    next_action_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    returned_at: Mapped[datetime | None]

    obligation: Mapped[Obligation] = relationship()
    unit: Mapped[Unit] = relationship()


class Submission(Base):
    __table__ = tables.submissions

    id: Mapped[int]
    assignment_id: Mapped[int]
    submitted_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str]
    note: Mapped[str | None]
    late: Mapped[bool]
    state: Mapped[str]
    source: Mapped[str]
    client: Mapped[str | None]
    source_key: Mapped[str | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None]
    reason: Mapped[str | None]


class SubmissionFile(Base):
    __table__ = tables.submission_files

    id: Mapped[int]
    submission_id: Mapped[int]
    sha256: Mapped[str]
    size: Mapped[int]
    content_type: Mapped[str]
    name: Mapped[str]
    created_at: Mapped[datetime]


class Waiver(Base):
    __table__ = tables.waivers

    id: Mapped[int]
    assignment_id: Mapped[int]
    reason: Mapped[str]
    waived_at: Mapped[datetime]
    recorded_by: Mapped[str]


class AuditEntry(Base):
    __table__ = tables.audit_log

    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str]
    entity: Mapped[str]
    entity_id: Mapped[str]
    before: Mapped[Any | None]
    after: Mapped[Any | None]


class Decision(Base):
    __table__ = tables.decisions

    id: Mapped[int]
    assignment_id: Mapped[int]
    due_at: Mapped[datetime]
    stage: Mapped[str]
    scheduled_at: Mapped[datetime]
    decided_at: Mapped[datetime]
    outcome: Mapped[str]
    recipients: Mapped[list[str] | None]
    outbox_id: Mapped[int | None]


class OutboxMessage(Base):
    __table__ = tables.outbox

    id: Mapped[int]
    key: Mapped[str]
    recipient_unit: Mapped[str | None]
    to_addrs: Mapped[list[str]]
    cc_addrs: Mapped[list[str]]
    reply_to: Mapped[list[str]]
    subject: Mapped[str]
    body_text: Mapped[str]
    body_html: Mapped[str | None]
    items: Mapped[list[dict]]
    state: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    failed_recipients: Mapped[list[str] | None]
    message_id: Mapped[str | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attachment_name: Mapped[str | None]
    # Loaded when asked for: a coordinator's list after a mass import is tens of MB.
    attachment = deferred(tables.outbox.c.attachment)
    leased_at: Mapped[datetime | None]
    unknown_outcomes: Mapped[int]
    pending_recipients: Mapped[list[str] | None]
