"""The tables, in SQLAlchemy Core. Domain timestamps are always set by the code
(time is a parameter), never defaulted by the database, so a frozen clock
governs everything.

Stored assignment states are ``open``, ``submitted`` and ``waived``; the
states users see (pending, overdue, submitted, late, waived) are derived from
them, the due instant and ``now`` (see core/status.py).

The ORM classes (``models.py``) are mapped onto these tables. Read-only
commands such as ``tracker status`` query the tables directly and never import
the ORM: it is a third of such a command's start-up.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    LargeBinary,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tracker.store.types import UTCDateTime
from tracker.core.states import AssignmentState, OutboxState, Status, UnitStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _id() -> Column:
    return Column("id", Integer, primary_key=True)


def _required(name: str, type_, **kw) -> Column:
    return Column(name, type_, nullable=False, **kw)


def _optional(name: str, type_, **kw) -> Column:
    return Column(name, type_, nullable=True, **kw)


units = Table(
    "units", metadata,
    _id(),
    _required("code", String(64), unique=True),
    _required("name", Text),
    _required("emails", JSON, default=list),
    _optional("head_email", Text),
    _optional("kind", String(64)),
    _optional("parent_code", String(64)),
    # active | retired; a retired unit keeps its history. merged_into names the successor.
    _required("status", String(16), default=UnitStatus.ACTIVE.value),
    _optional("merged_into", String(64)),
    _required("created_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
    # Addresses a server refused permanently (a 5.x.x bounce): {address: {"reason", "at"}}.
    # While set, the unit's digests also go to its head; importing the unit with
    # another address clears it (services/imports.py).
    _optional("bouncing", JSON),
    # The version signed into the unit's web link; `tracker units link --rotate`
    # raises it, and every older link then answers 404.
    _required("link_version", Integer, default=1, server_default="1"),
)

plans = Table(
    "plans", metadata,
    _id(),
    _required("code", String(64), unique=True),
    _optional("number", Text),
    _required("issuer", Text),
    _optional("place", Text),
    _optional("issued_on", Date),
    _required("year", Integer),
    _required("title", Text),
    _required("coordinator_code", String(64)),
    # The plan's own units: those its file lists (units: section) or names
    # (responsible, report_to, coordinator). "responsible: all" means these
    # units and never grows when another plan's units are imported.
    _required("unit_codes", JSON, default=list),
    # Periods starting after this day are not materialised; NULL: 31/12 of year.
    _optional("valid_until", Date),
    _required("timezone", String(64)),
    _optional("source_file", Text),
    _required("content_hash", String(64)),
    _required("imported_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
)

obligations = Table(
    "obligations", metadata,
    _id(),
    _required("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), index=True),
    _required("code", String(64), index=True),
    _required("position", Integer, default=0),
    _required("title", Text),
    _required("kind", String(16)),  # deadline | window | event
    # As written in the plan file, and resolved against the plan's year.
    _optional("due_text", Text),
    _required("first_date", Date),  # deadline: due; window: start; event: date
    _optional("last_date", Date),  # window: end
    _required("strict_before", Boolean, default=False),
    _required("recurrence", String(16), default="none"),
    _required("responsible", JSON),  # "all" or [unit codes]
    _optional("report_to", String(64)),
    _optional("submit_to", Text),  # where and how to send the work, in the plan's words
    _optional("shift", String(32)),  # None: the config default
    _optional("reminders", JSON),
    _optional("escalation", JSON),
    _optional("source", Text),
    _optional("source_line", Integer),
    _optional("category", String(32)),
    # Periodic reports (migration 0002): the deadline as working days after the
    # data cut-off (first_date is then the first period's cut-off), and the
    # data period rule, {"rule": "decree-09"} or {"rule": "explicit", "from", "to"}.
    _optional("due_after_cutoff", Integer),
    _optional("data_period", JSON),
    # Assignments exist for every period whose date is on or before this day.
    _optional("materialised_until", Date),
    _required("retired", Boolean, default=False),  # dropped from the plan file
    UniqueConstraint("plan_id", "code"),
)

assignments = Table(
    "assignments", metadata,
    _id(),
    _required("obligation_id", ForeignKey("obligations.id", ondelete="CASCADE")),
    _required("unit_id", ForeignKey("units.id")),
    _required("period", String(16)),
    _required("kind", String(16)),  # copied from the obligation for indexed queries
    _required("base_due_at", UTCDateTime),  # from the rules
    _optional("extended_until", UTCDateTime),  # granted by the coordinator
    _required("due_at", UTCDateTime),  # effective: extended_until or base_due_at
    _optional("ends_at", UTCDateTime),  # windows
    # AssignmentState: open | received (a unit's submission waiting for acceptance) | submitted | waived
    _required("state", String(16), default=AssignmentState.OPEN.value),
    _optional("submitted_at", UTCDateTime),
    _optional("waived_at", UTCDateTime),
    _optional("next_action_at", UTCDateTime),
    _required("created_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
    # Set when the coordinator returned the unit's submission (the assignment is
    # open again); cleared by the next submission.
    _optional("returned_at", UTCDateTime),
    UniqueConstraint("obligation_id", "unit_id", "period"),
    # The scheduler polls "next_action_at <= now"; rows with nothing left to do
    # hold NULL there, so years of history never enter the range scanned.
    # (next_action_at, id): the order batches are claimed in, so a later batch seeks
    # to its cursor (migration 0008 says why PostgreSQL needs the id).
    Index("ix_assignments_next_action_at", "next_action_at", "id"),
    # status --state overdue|pending: open rows by due time.
    Index("ix_assignments_state_due_at", "state", "due_at"),
    Index("ix_assignments_unit_id_due_at", "unit_id", "due_at"),
)

submissions = Table(
    "submissions", metadata,
    _id(),
    _required("assignment_id", ForeignKey("assignments.id", ondelete="CASCADE"), index=True),
    _required("submitted_at", UTCDateTime),
    _required("recorded_at", UTCDateTime),
    _required("recorded_by", String(128)),
    _optional("note", Text),
    _required("late", Boolean),
    # received | accepted | returned (core/submissions.py); the coordinator's own
    # records are accepted at once.
    _required("state", String(16), default="accepted", server_default="accepted"),
    _required("source", String(16), default="coordinator", server_default="coordinator"),  # coordinator | web | mail
    _optional("client", Text),  # the web client's address, or the mail's sender
    # What makes an inbound submission arrive once: a web form's nonce, a mail's Message-ID.
    _optional("source_key", String(200), unique=True),
    _optional("decided_at", UTCDateTime),  # accepted or returned at
    _optional("decided_by", String(128)),
    _optional("reason", Text),  # why it was returned
)

# Files a submission carries. The bytes live in the files folder under their
# SHA-256 (store/files.py); the name the unit gave is data, never a path.
submission_files = Table(
    "submission_files", metadata,
    _id(),
    _required("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), index=True),
    _required("sha256", String(64)),
    _required("size", Integer),
    _required("content_type", String(128)),
    _required("name", Text),
    _required("created_at", UTCDateTime),
)

waivers = Table(
    "waivers", metadata,
    _id(),
    _required("assignment_id", ForeignKey("assignments.id", ondelete="CASCADE"), index=True),
    _required("reason", Text),
    _required("waived_at", UTCDateTime),
    _required("recorded_by", String(128)),
)

audit_log = Table(
    "audit_log", metadata,
    _id(),
    _required("at", UTCDateTime),
    _required("actor", String(128)),
    _required("action", String(32)),
    _required("entity", String(32)),
    _required("entity_id", String(128)),
    _optional("before", JSON),
    _optional("after", JSON),
    Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
)

# One (assignment, stage), decided once: sent or skipped. The unique key is what
# keeps a stage from being sent twice, across restarts and daemons. It holds the
# deadline too: an extension or a changed date starts a fresh ladder for the new
# date, while the old decisions stay as history.
decisions = Table(
    "decisions", metadata,
    _id(),
    # No foreign key (migration 0009 says why): the one writer records stages only for
    # assignments its transaction has claimed, and assignments are never deleted.
    _required("assignment_id", Integer),
    _required("due_at", UTCDateTime),  # the deadline the stage was decided for
    _required("stage", String(32)),
    _required("scheduled_at", UTCDateTime),  # when the policy wanted it
    _required("decided_at", UTCDateTime),
    _required("outcome", String(16)),  # sent | skipped
    _optional("recipients", JSON),  # who it went to (for `resolved`)
    _optional("outbox_id", ForeignKey("outbox.id")),
    UniqueConstraint("assignment_id", "due_at", "stage"),
    # Sent stages only: nine decisions in ten after a mass import are skipped, with no message.
    Index("ix_decisions_outbox_id", "outbox_id", sqlite_where=text("outbox_id IS NOT NULL"),
          postgresql_where=text("outbox_id IS NOT NULL")),
)

# One digest to one recipient. Queued -> sending (claimed) -> sent | failed.
outbox = Table(
    "outbox", metadata,
    _id(),
    _required("key", String(200), unique=True),
    _optional("recipient_unit", String(64)),
    _required("to_addrs", JSON),
    _required("cc_addrs", JSON, default=list),
    _required("reply_to", JSON, default=list),
    _required("subject", Text),
    _required("body_text", Text),
    _optional("body_html", Text),
    _required("items", JSON),
    _required("state", String(16), default=OutboxState.QUEUED.value),
    _required("attempts", Integer, default=0),
    _optional("next_attempt_at", UTCDateTime),
    _optional("claimed_by", String(128)),
    _optional("claimed_at", UTCDateTime),
    _optional("last_error", Text),
    _optional("failed_recipients", JSON),
    _optional("message_id", String(255)),
    _required("created_at", UTCDateTime),
    _optional("sent_at", UTCDateTime),
    # A digest over [mail] max_items carries its full list as a CSV (render/digest_csv.py).
    _optional("attachment_name", String(200)),
    _optional("attachment", LargeBinary),
    # The claim's time on the database's clock (never a process's): the lease is
    # judged on one clock, however far apart the deliverers' clocks or --now are.
    _optional("leased_at", UTCDateTime),
    # Attempts whose outcome is unknown (no reply after the final dot, or the
    # claim of a daemon that died mid-send): after one, a second ends the row unconfirmed.
    _required("unknown_outcomes", Integer, default=0, server_default="0"),
    # After a partial delivery (a 4xx for some recipients): who is still owed the message.
    _optional("pending_recipients", JSON),
    Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
)

# One row per message read from the office mailbox, written once under its
# mailbox position (the mailbox, UIDVALIDITY, UID) and its Message-ID: a message
# is processed once across passes, restarts and daemons (store/inbox.py is the
# only writer). States: tracker.core.inbound.InboxState.
inbox = Table(
    "inbox", metadata,
    _id(),
    _required("mailbox", String(255)),  # user@host/folder
    _required("uidvalidity", BigInteger),
    _required("uid", BigInteger),
    _optional("message_id", String(255), unique=True),
    _required("received_at", UTCDateTime),
    _required("processed_at", UTCDateTime),
    _required("kind", String(16)),  # reply | bounce | other
    _required("state", String(16)),
    _optional("from_addr", Text),
    _optional("subject", Text),
    _optional("reason", Text),  # why it waits in the queue, or what was done
    _optional("unit_code", String(64)),
    _optional("outbox_id", Integer),  # the digest it answers or bounced
    _optional("detail", JSON),  # items recorded, files, bounce recipients
    _optional("resolved_at", UTCDateTime),
    _optional("resolved_by", String(128)),
    UniqueConstraint("mailbox", "uidvalidity", "uid"),
    Index("ix_inbox_state", "state"),
)

# A decided stage carried by more than one message: ``decisions.outbox_id`` names
# the first, these the others (``resolved`` goes to everyone an escalation went
# to). The composer (services/compose.py) reads a message's items from both.
outbox_copies = Table(
    "outbox_copies", metadata,
    Column("outbox_id", ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True),
    Column("decision_id", ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True),
)
