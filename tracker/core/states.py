"""The states and kinds the store records and users see, as named constants.

They are ``StrEnum`` members: equal to the text stored in the database and
printed in ``--json``, so the contract of docs/cli.md is unchanged, while the
code names each state once.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What an obligation is: a deadline to meet, a window to hold, an event to mark."""

    DEADLINE = "deadline"
    WINDOW = "window"
    EVENT = "event"


class AssignmentState(StrEnum):
    """The stored state of one assignment (obligation x unit x period)."""

    OPEN = "open"
    RECEIVED = "received"  # a unit's own submission, waiting for the coordinator to accept or return it
    SUBMITTED = "submitted"  # done: the coordinator's record, or a unit's accepted submission
    WAIVED = "waived"


class Status(StrEnum):
    """The state users see: derived from the stored state, the deadline and ``now``."""

    PENDING = "pending"
    OVERDUE = "overdue"
    RECEIVED = "received"  # sent by the unit, waiting for acceptance ("đã gửi, chờ xác nhận")
    RETURNED = "returned"  # returned by the coordinator: open again, counted as not done
    SUBMITTED = "submitted"  # on time
    LATE = "late"
    WAIVED = "waived"


class OutboxState(StrEnum):
    """A queued message's life: queued -> sending (claimed) -> sent | failed, or back to queued.
    ``composing``: decided into during a pass, rendered at its end (services/compose.py); never sent.

    An attempt whose outcome is unknown (the server took the message, then the
    connection dropped or its reply came after the timeout) is ``uncertain``:
    tried once more, later, with the same Message-ID. If that attempt is unknown
    too, the row ends ``unconfirmed`` (most likely delivered; never sent again).
    A message whose items all closed (submitted, waived, expired) while it was
    queued ends ``withdrawn``, unsent.
    """

    COMPOSING = "composing"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    UNCONFIRMED = "unconfirmed"
    WITHDRAWN = "withdrawn"


class UnitStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class StageOutcome(StrEnum):
    """What became of one reminder or escalation stage of an assignment."""

    SENT = "sent"
    SKIPPED = "skipped"
