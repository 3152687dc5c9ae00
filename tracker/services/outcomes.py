"""One attempt at a claimed outbox row: send it, and judge what the server said
into an ``Outcome`` (sent, retried later, a dead letter, uncertain, withdrawn).

services/delivery.py claims the rows and records the outcomes
(store/outbox/lease.py); this module decides them and touches no row. A 4xx
for some recipients does not hold the others: the message goes to those that
accept, the rest are owed it (``pending_recipients``). An unknown outcome (no
reply after the final dot, a dead daemon's claim taken over) is tried once
more after the backoff, with the same Message-ID, and never a third time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from tracker.core.errors import DeliveryError
from tracker.core.states import OutboxState as S
from tracker.store.outbox import Claimed, Result


@dataclass
class Outcome:
    """What an attempt did to one row, recorded by services/delivery.py."""

    row: Claimed
    state: str  # an OutboxState: sent | failed | queued (retry) | uncertain | unconfirmed | withdrawn
    error: str | None = None
    rejected: dict[str, str] = field(default_factory=dict)
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    unknown: int = 0  # this attempt's outcome is unknown
    pending: list[str] | None = None  # recipients still owed the message (a partial delivery)

    def result(self) -> Result:
        """What the row keeps of it (only while the attempt's worker holds the claim)."""
        row = self.row
        return Result(row.id, row.claimed_by, self.state, self.next_attempt_at,
                      self.error[:2000] if self.error else None, self.sent_at,
                      _merge(row.failed_recipients, self.rejected), row.message_id,
                      row.unknown_outcomes + self.unknown, self.pending if self.state != S.SENT else None)


def attempt(rt, transport, row: Claimed, now: datetime) -> Outcome:
    """Send one claimed row; say what happened (raises only ``ConnectionLost``
    and ``OutcomeUnknown``)."""
    from tracker.render.message import build_for_row
    from tracker.transports.mail import ConnectionLost, OutcomeUnknown

    settings = rt.settings
    final = row.attempts >= settings.mail.max_attempts
    # Date in local time: what the recipient reads when the client shows the raw header.
    outgoing = build_for_row(row, settings.mail.sender, settings.tracker.language, settings.tz,
                             settings.inbound.reply_address)
    if row.pending_recipients:  # a partial delivery: only those still owed it
        owed = {a.lower() for a in row.pending_recipients}
        outgoing = replace(outgoing, recipients=tuple(a for a in outgoing.recipients if a.lower() in owed))
        if not outgoing.recipients:
            return Outcome(row, S.SENT, None, {}, sent_at=now)
    rejected = dict(outgoing.rejected)  # invalid addresses: refused before we even connect
    if not outgoing.recipients:
        return Outcome(row, S.FAILED, "no valid recipient" + _reasons(rejected), rejected)
    try:
        result = transport.send(outgoing, allow_partial=True)
    except (ConnectionLost, OutcomeUnknown):
        raise
    except DeliveryError as exc:
        return failure(rt, row, now, str(exc), permanent=exc.permanent)
    rejected.update(result.permanent_refusals())
    deferred = result.transient_refusals()
    if result.accepted:
        if deferred and not final:  # delivered to those that accept; the others get it later, alone
            error = "deferred: " + _reasons(deferred).strip(" ;()")
            return replace(failure(rt, row, now, error, permanent=False, rejected=rejected), pending=list(deferred))
        # On the final attempt, recipients still deferring (4xx) are given up on.
        rejected.update(deferred)
        error = ("rejected: " + _reasons(rejected).strip(" ;()")) if rejected else None
        return Outcome(row, S.SENT, error, rejected, sent_at=now)
    if row.pending_recipients and (final or not result.deferred):
        # The others have it already: the message is sent; these addresses are given up on.
        rejected.update(deferred)
        return Outcome(row, S.SENT, "rejected: " + _reasons(rejected).strip(" ;()"), rejected, sent_at=now)
    if result.deferred:  # someone said "try later": keep it whole, remember the hard refusals
        return failure(rt, row, now, "deferred: " + _reasons(deferred).strip(" ;()"),
                       permanent=False, rejected=rejected)
    return Outcome(row, S.FAILED, "every recipient was refused" + _reasons(rejected), rejected)


def unknown(rt, row: Claimed, now: datetime, error: str) -> Outcome:
    """The server may have taken the message. The first time: ``uncertain``, tried
    once more after the backoff (same Message-ID). Again: ``unconfirmed``, never resent."""
    from tracker.core.retry import backoff

    if row.unknown_outcomes >= 1:
        return Outcome(row, S.UNCONFIRMED, f"outcome unknown twice; not sent again: {error}", unknown=1)
    return Outcome(row, S.UNCERTAIN, f"outcome unknown; tried once more later: {error}",
                   next_attempt_at=now + backoff(max(row.attempts, 1)), unknown=1)


def withdrawn(row: Claimed, now: datetime, dropped: tuple[str, ...]) -> Outcome:
    """Nothing left to say (every item went stale while queued): not sent."""
    return Outcome(row, S.WITHDRAWN, "nothing left to send: " + "; ".join(dropped))


def failure(rt, row: Claimed, now: datetime, error: str, *, permanent: bool,
            rejected: dict[str, str] | None = None) -> Outcome:
    """A failed attempt: retry later with backoff, or a dead letter when permanent or out of attempts."""
    from tracker.core.retry import backoff

    if permanent or row.attempts >= rt.settings.mail.max_attempts:
        return Outcome(row, S.FAILED, error, dict(rejected or {}), pending=row.pending_recipients)
    return Outcome(row, S.QUEUED, error, dict(rejected or {}), next_attempt_at=now + backoff(row.attempts),
                   pending=row.pending_recipients)


def _reasons(refused: dict[str, str]) -> str:
    return (" (" + "; ".join(f"{a}: {r}" for a, r in refused.items()) + ")") if refused else ""


def _merge(previous: list[str] | None, rejected: dict[str, str]) -> list[str] | None:
    merged = list(previous or [])
    merged += [a for a in rejected if a.lower() not in {m.lower() for m in merged}]
    return merged or None
