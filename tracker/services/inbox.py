"""Read the office mailbox: replies record submissions, bounces mark addresses,
anything unclear waits in the review queue.

One pass lists the folder's UIDs, leaves out those already in the inbox table
(this mailbox, this UIDVALIDITY) and fetches the rest in bulk. Each message is
one transaction: its inbox row (the unique keys claim it), then what it causes
(the submissions, a bounce mark and the coordinator's notice), then commit. A
second daemon reading the same message fails on the unique key and its
transaction rolls back; a crash before the commit leaves the message unread
for the next pass. Mail that is not about our digests is recorded as ignored
(so it is not fetched again) and otherwise left alone: never flagged, moved
or deleted, unless ``inbound.move_to`` asks to move what was processed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tracker.core.errors import ConfigError, InputError, NotFound, TrackerError
from tracker.core.inbound import InboxState, Kind, Parsed, looks_like_bounce, nonstandard_failures, read_message
from tracker.core.matching import SentDigest, Verdict, first_ours, judge_bounce, judge_reply, numbered
from tracker.services.runtime import Runtime
from tracker.store import files
from tracker.store import inbox as store
from tracker.store.tables import obligations, outbox, plans, units

log = logging.getLogger("tracker.inbox")

# Messages per transaction: a commit per message was most of a pass on a busy
# disk; a batch that fails to commit is read again whole at the next pass.
BATCH = 100


@dataclass
class InboxReport:
    read: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def count(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1

    def summary(self) -> str:
        parts = [f"{n} {s}" for s, n in sorted(self.counts.items())]
        text = f"inbox: {self.read} new message(s)" + (f" ({', '.join(parts)})" if parts else "")
        if self.errors:
            text += f", {len(self.errors)} error(s)"
        return text + f" in {self.elapsed:.2f} s"


def configured(rt: Runtime) -> bool:
    return bool(rt.settings.inbound.imap_host)


def fetch(rt: Runtime, now: datetime, *, open_mailbox: Callable[..., Any] | None = None) -> InboxReport:
    """One read of the mailbox at ``now``. Raises ``MailboxError`` when the mailbox
    cannot be read; a message that cannot be processed is reported and read again
    at the next pass."""
    from tracker.transports.imap import ImapMailbox, mailbox_name

    if not configured(rt):
        raise ConfigError("the office mailbox is not configured: set [inbound] imap_host and imap_user")
    started = time.monotonic()
    report = InboxReport()
    name = mailbox_name(rt.settings)
    move_to = rt.settings.inbound.move_to
    with (open_mailbox or ImapMailbox)(rt.settings) as box:
        with rt.store.reader() as conn:
            seen = store.seen_uids(conn, name, box.uidvalidity)
        todo = [u for u in box.uids() if u not in seen]
        processed: list[int] = []
        with rt.store.writer() as conn:
            pass_ = _Pass(rt, conn, now)
            batch: list[Any] = []
            for fetched in box.fetch(todo):
                batch.append(fetched)
                if len(batch) == BATCH:
                    processed += _batch(pass_, name, box.uidvalidity, batch, report)
                    batch = []
            if batch:
                processed += _batch(pass_, name, box.uidvalidity, batch, report)
        if move_to and processed:
            box.move(processed, move_to)
    report.elapsed = time.monotonic() - started
    return report


def _batch(p: "_Pass", mailbox: str, uidvalidity: int, batch: list[Any], report: InboxReport) -> list[int]:
    """Up to BATCH messages in one transaction, each in its own savepoint (one that
    fails is undone alone). Returns the UIDs processed (to move). If the commit
    fails, nothing of the batch was recorded and it is read again next pass."""
    from sqlalchemy.orm import Session

    done: list[tuple[int, str | None]] = []
    try:
        with p.conn.begin():
            # One ORM session for the batch (records.py works on it), joined to this
            # transaction: committing stays with the connection.
            with Session(bind=p.conn, join_transaction_mode="rollback_only") as session:
                p.session = session
                # Parsed first, so the digests the batch names are read in one query.
                parsed = [read_message(f.data) for f in batch]
                p.digests({r.outbox_id for m in parsed for r in m.refs + m.mentioned})
                done = [(f.uid, _one(p, mailbox, uidvalidity, f, m, report)) for f, m in zip(batch, parsed)]
                session.flush()
    except Exception as exc:
        report.errors.append(f"{len(batch)} message(s) not recorded, read again next pass: "
                             f"{type(exc).__name__}: {exc}")
        log.error("inbox: %s", report.errors[-1])
        return []
    finally:
        p.session = None
    moved = []
    for uid, state in done:
        if state is None:
            continue
        report.read += state != "seen"  # another reader had it already
        report.count(state)
        if state not in (InboxState.IGNORED.value, "seen"):
            moved.append(uid)
    return moved


def _one(p: "_Pass", mailbox: str, uidvalidity: int, fetched, parsed: Parsed, report: InboxReport) -> str | None:
    """Process one message in its own savepoint; its state, or None when it failed."""
    try:
        with p.session.begin_nested():
            return _process(p, mailbox, uidvalidity, fetched, parsed)
    except Exception as exc:  # rolled back: nothing of it was recorded
        first = f"message {fetched.uid}: {type(exc).__name__}: {exc}"
    try:  # keep it from failing at every pass: put it in the queue with the error
        with p.session.begin_nested():
            claim, _ = store.claim(p.conn, _row(p, mailbox, uidvalidity, fetched, parsed, Kind.OTHER,
                                                InboxState.REVIEW, f"could not be processed: {first}"[:1000]))
    except Exception as exc:  # the store itself is failing: read it again next pass
        report.errors.append(f"{first}; not recorded ({type(exc).__name__}: {exc})")
        log.error("inbox: %s", report.errors[-1])
        return None
    report.errors.append(first)
    log.error("inbox: %s; put in the review queue", first)
    return InboxState.REVIEW.value if claim is store.Claim.NEW else "seen"


class _Pass:
    """What one pass reads once: our digests by outbox id, obligation kinds."""

    def __init__(self, rt: Runtime, conn: Connection, now: datetime) -> None:
        self.rt, self.conn, self.now = rt, conn, now
        self.session: Any = None  # the batch's ORM session (see _batch)
        self.sent: dict[int, SentDigest | None] = {}
        self.items: dict[int, list[dict]] = {}
        self.kinds: dict[tuple[str, str], str] | None = None

    def digests(self, ids: set[int]) -> dict[int, SentDigest]:
        from tracker.render.message import message_id_for

        missing = [i for i in ids if i not in self.sent]
        if missing:
            o = outbox.c
            rows = list(self.conn.execute(select(o.id, o.key, o.recipient_unit, o.to_addrs, o.cc_addrs, o["items"],
                                                 o.created_at).where(o.id.in_(missing))))
            codes = {r.recipient_unit for r in rows if r.recipient_unit}
            senders = {u.code: frozenset(a.lower() for a in [*(u.emails or ()), u.head_email] if a)
                       for u in self.conn.execute(select(units.c.code, units.c.emails, units.c.head_email)
                                                  .where(units.c.code.in_(codes)))} if codes else {}
            for i in missing:
                self.sent[i] = None
            for r in rows:
                check = message_id_for(r.id, r.key, "x@x").split("-")[2].partition("@")[0]
                self.items[r.id] = list(r.items or [])
                self.sent[r.id] = SentDigest(
                    r.id, check, r.recipient_unit, frozenset(a.lower() for a in [*r.to_addrs, *(r.cc_addrs or [])]),
                    senders.get(r.recipient_unit, frozenset()),
                    numbered(self.items[r.id], self._kinds(), r.created_at))
        return {i: s for i in ids if (s := self.sent.get(i)) is not None}

    def _kinds(self) -> dict[tuple[str, str], str]:
        if self.kinds is None:
            query = select(plans.c.code, obligations.c.code, obligations.c.kind).join(plans)
            self.kinds = {(p, o): k for p, o, k in self.conn.execute(query)}
        return self.kinds


def judge(p: _Pass, parsed: Parsed, raw: bytes) -> Verdict:
    refs = parsed.refs + parsed.mentioned
    sent = p.digests({r.outbox_id for r in refs})
    if parsed.is_report or (looks_like_bounce(parsed) and first_ours(parsed.refs, sent) is None):
        failures = parsed.failures if parsed.is_report else nonstandard_failures(raw)
        if failures:
            return judge_bounce(parsed, failures, sent)
        if parsed.is_report:
            return Verdict(Kind.BOUNCE, InboxState.IGNORED, "a delivery report without failures")
    return judge_reply(parsed, sent, p.rt.settings.inbound.max_attachment_mb)


def _row(p: _Pass, mailbox: str, uidvalidity: int, fetched, parsed: Parsed, kind: Kind, state: InboxState,
         reason: str | None) -> dict[str, Any]:
    received = min(fetched.received_at or parsed.date or p.now, p.now)
    return {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": fetched.uid, "message_id": parsed.message_id,
            "received_at": received, "processed_at": p.now, "kind": kind.value, "state": state.value,
            "from_addr": parsed.from_addr[:255] or None, "subject": parsed.subject[:500] or None,
            "reason": reason}


def _process(p: _Pass, mailbox: str, uidvalidity: int, fetched, parsed: Parsed) -> str:
    verdict = judge(p, parsed, fetched.data)
    digest = verdict.sent
    detail: dict[str, Any] = {}
    if verdict.kind is Kind.REPLY:
        # Stored before the row is claimed: by content hash, so a duplicate costs a stat.
        limit = p.rt.settings.inbound.max_attachment_mb * 1024 * 1024
        detail["files"] = [{"name": a.filename, "type": a.content_type, "size": a.size,
                            "sha256": files.put(p.rt.settings.inbound.files_dir, a.data)}
                           for a in parsed.attachments if a.size <= limit]
        detail["numbers"] = list(parsed.numbers)
        if verdict.state is InboxState.RECORDED:
            detail["recorded"] = [i.to_json() for i in verdict.items]
    elif verdict.failures:
        detail["failures"] = [{"recipient": f.recipient, "status": f.status, "reason": f.reason}
                              for f in verdict.failures]
    row = {**_row(p, mailbox, uidvalidity, fetched, parsed, verdict.kind, verdict.state, verdict.reason or None),
           "detail": detail or None, "unit_code": digest.unit if digest else None,
           "outbox_id": digest.outbox_id if digest else None}
    # One INSERT claims the message and says what became of it (the unique keys).
    claim, inbox_id = store.claim(p.conn, row)
    if claim is store.Claim.SEEN:
        return "seen"
    if claim is store.Claim.DUPLICATE:
        log.info("inbox: message %s is another copy of inbox message %s; skipped", fetched.uid, inbox_id)
        return InboxState.DUPLICATE.value
    state, reason = verdict.state, verdict.reason
    if state is InboxState.RECORDED:
        try:
            with p.session.begin_nested():
                _record(p, verdict, row, detail["files"])
        except TrackerError as exc:  # already submitted, waived, gone: the coordinator decides
            state, reason = InboxState.REVIEW, str(exc)
            detail.pop("recorded")
            store.set_outcome(p.conn, inbox_id, state=state.value, reason=reason, detail=detail)
    elif state is InboxState.BOUNCE:
        from tracker.services.bounces import record_bounce

        for f in verdict.failures:
            record_bounce(p.conn, p.rt, p.now, f, digest.unit if digest else None,
                          p.items.get(digest.outbox_id, []) if digest else [], inbox_id)
    elif state is InboxState.TEMPORARY:
        log.info("inbox: temporary delivery failure, only logged: %s", reason)
    if state is InboxState.REVIEW:
        log.info("inbox: message %s from %s waits for review: %s", fetched.uid, parsed.from_addr or "?", reason)
    return state.value


def _record(p: _Pass, verdict: Verdict, row: dict, stored: list[dict]) -> None:
    """Record the verdict's items as submitted when the reply arrived, in this transaction."""
    from tracker.services.records import record_submission

    note = _note(row, stored)
    for item in verdict.items:
        record_submission(p.session, p.rt, p.now, item.unit, item.obligation, plan=item.plan,
                          period=item.period, at=row["received_at"], note=note, actor="mailbox",
                          source="mail", files=stored)


def _note(row: dict, stored: list[dict]) -> str:
    names = ", ".join(f"{f['name']} (sha256 {f['sha256'][:12]})" for f in stored)
    return f"e-mail from {row['from_addr']} {row['message_id'] or ''}; files: {names}"[:1000]


# --- the review queue -------------------------------------------------------------

@dataclass(frozen=True)
class QueueEntry:
    id: int
    state: str
    kind: str
    received_at: datetime
    from_addr: str | None
    subject: str | None
    reason: str | None
    unit: str | None
    outbox_id: int | None
    detail: dict | None

    def to_json(self, tz) -> dict:
        return {"id": self.id, "state": self.state, "kind": self.kind,
                "received_at": self.received_at.astimezone(tz).isoformat(), "from": self.from_addr,
                "subject": self.subject, "reason": self.reason, "unit": self.unit, "outbox_id": self.outbox_id,
                "files": [{k: f[k] for k in ("name", "size", "sha256")} for f in (self.detail or {}).get("files", [])]}


def _entry(r) -> QueueEntry:
    return QueueEntry(r.id, r.state, r.kind, r.received_at, r.from_addr, r.subject, r.reason, r.unit_code,
                      r.outbox_id, r.detail)


def queue(rt: Runtime, *, all_states: bool = False) -> list[QueueEntry]:
    with rt.store.reader() as conn:
        states = None if all_states else (InboxState.REVIEW.value,)
        return [_entry(r) for r in store.list_messages(conn, states)]


def show(rt: Runtime, inbox_id: int) -> QueueEntry:
    with rt.store.reader() as conn:
        row = store.get(conn, inbox_id)
    if row is None:
        raise NotFound(f"no inbox message {inbox_id} (see `tracker inbox list`)")
    return _entry(row)


def assign(rt: Runtime, now: datetime, inbox_id: int, unit: str, obligation: str, *, period: str | None = None,
           plan: str | None = None):
    """Record the message as UNIT's submission of OBLIGATION, at the time it arrived."""
    from tracker.services.records import record_submission

    with rt.store.write() as session:
        conn = session.connection()
        row = store.get(conn, inbox_id)
        if row is None:
            raise NotFound(f"no inbox message {inbox_id} (see `tracker inbox list`)")
        if row.state != InboxState.REVIEW.value:
            raise InputError(f"inbox message {inbox_id} is {row.state}, not waiting for review", "ID")
        stored = (row.detail or {}).get("files", [])
        note = _note({"from_addr": row.from_addr, "message_id": row.message_id}, stored)
        recorded = record_submission(session, rt, now, unit, obligation, plan=plan, period=period,
                                     at=min(row.received_at, now), note=note)
        detail = {**(row.detail or {}), "assigned": {"unit": unit, "obligation": obligation,
                                                     "period": recorded.period}}
        if not store.resolve(conn, inbox_id, InboxState.ASSIGNED, now, rt.actor, detail):
            raise TrackerError(f"inbox message {inbox_id} was resolved meanwhile")
        return recorded


def dismiss(rt: Runtime, now: datetime, inbox_id: int) -> None:
    with rt.store.writer() as conn, conn.begin():
        row = store.get(conn, inbox_id)
        if row is None:
            raise NotFound(f"no inbox message {inbox_id} (see `tracker inbox list`)")
        if not store.resolve(conn, inbox_id, InboxState.DISMISSED, now, rt.actor):
            raise InputError(f"inbox message {inbox_id} is {row.state}, not waiting for review", "ID")


def queue_note(conn) -> tuple[frozenset[str], int]:
    """The units that coordinate a plan or receive its reports, and the review queue's length."""
    waiting = store.waiting_count(conn)
    if not waiting:
        return frozenset(), 0
    codes = set(conn.scalars(select(plans.c.coordinator_code)))
    codes |= {c for c in conn.scalars(select(obligations.c.report_to).distinct()) if c}
    return frozenset(codes), waiting


def noted(pass_, conn, digest, rendered):
    """``rendered`` with the review queue's length when ``digest`` goes to a coordinator
    (the tick's pass caches the count in ``pass_.queue_note``)."""
    if pass_.queue_note is None:
        pass_.queue_note = queue_note(conn)
    coordinators, waiting = pass_.queue_note
    if not waiting or digest.recipient_unit not in coordinators:
        return rendered
    from tracker.render.inboxnote import with_queue_note

    return with_queue_note(rendered, waiting, pass_.rt.settings.tracker.language)
