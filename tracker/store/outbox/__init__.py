"""The outbox: one row per message, enqueued in the same transaction as the
decisions it carries, so a decided stage is never lost nor sent twice.

A row moves ``composing -> queued -> sending (claimed) -> sent | failed`` (or
``uncertain``, ``unconfirmed``, ``withdrawn``); a transient failure puts it
back to ``queued`` with ``next_attempt_at`` pushed out by
``tracker.core.retry.backoff``. The services decide (tick and compose,
delivery, the notices); this package is the only code that writes the outbox
and ``outbox_copies`` (tests/test_one_writer.py keeps it so), one named
function per statement whose docstring says why it is shaped as it is:

- ``queue.py``: rows going in (digests, notices, the scorecard), composing ->
  queued, ``outbox retry``, and the questions the CLI and the scheduler ask;
- ``lease.py``: delivery's statements: claim a due row under a lease on the
  database's clock, record an attempt's outcome, rewrite a stale claimed row.
"""

from tracker.store.outbox.lease import (  # noqa: F401
    LEASE, Claimed, Result, claim_due, database_now, due_ids, record_result, record_then_claim, rewrite_claimed,
)
from tracker.store.outbox.queue import (  # noqa: F401
    Enqueued, FailedDelivery, composing_message, count_failed, drop_composing, enqueue_many, enqueue_notices,
    enqueue_once, failed_since, link_copies, list_messages, new_message, queue_composed, queued_message, requeue,
)
