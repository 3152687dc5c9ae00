"""What to do with one mailbox message, given the digests it names. Pure.

A reply records a submission only when nothing about it is in doubt: it
answers one of our digests, comes from the unit's own address or its head's,
carries a readable attachment within the limit, and names exactly which open
items it answers (or the digest had one). Anything else waits in the review
queue for the coordinator; mail that is not about our messages is left alone.

A bounce counts only for an address we really sent the named digest to: a
forged or stray "undeliverable" cannot mark a unit's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.core.digest import Digest, DigestItem
from tracker.core.inbound import Failure, InboxState, Kind, Parsed, Ref

MB = 1024 * 1024


@dataclass(frozen=True)
class Numbered:
    """An item of a digest with the number the unit saw in front of it (per plan)."""

    plan: str
    number: int
    obligation: str
    unit: str
    period: str
    expects_submission: bool  # a deadline of this unit, not yet resolved when sent

    def to_json(self) -> dict:
        return {"plan": self.plan, "number": self.number, "obligation": self.obligation, "unit": self.unit,
                "period": self.period}


@dataclass(frozen=True)
class SentDigest:
    """One of our digests, as the outbox row holds it."""

    outbox_id: int
    check: str  # the hash in its Message-ID
    unit: str | None  # the unit it was for; None: the leadership list
    recipients: frozenset[str]  # lower case To + Cc
    senders: frozenset[str]  # lower case: the unit's addresses and its head's, today
    items: tuple[Numbered, ...]


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    state: InboxState
    reason: str
    sent: SentDigest | None = None
    items: tuple[Numbered, ...] = ()  # to record (RECORDED)
    failures: tuple[Failure, ...] = ()  # bounces for addresses we sent to


def numbered(items: list[dict], kinds: dict[tuple[str, str], str], at: datetime) -> tuple[Numbered, ...]:
    """The items of a stored digest (outbox ``items``), numbered as the template
    numbered them: ``Digest.ordered()``, counted from 1 within each plan."""
    digest_items = []
    for i in items:
        kind = kinds.get((i["plan"], i["obligation"]), "deadline")
        digest_items.append(DigestItem(
            plan=i["plan"], plan_title="", obligation=i["obligation"], title="", kind=kind, unit=i["unit"],
            unit_name="", period=i["period"], stage=i["stage"], due_at=datetime.fromisoformat(i["due"])))
    digest = Digest("", at, None, "", (), (), (), tuple(digest_items))
    out: list[Numbered] = []
    counter: dict[str, int] = {}
    for i in digest.ordered():
        counter[i.plan] = counter.get(i.plan, 0) + 1
        out.append(Numbered(i.plan, counter[i.plan], i.obligation, i.unit, i.period,
                            i.kind == "deadline" and i.stage != "resolved"))
    return tuple(out)


def first_ours(refs: tuple[Ref, ...], sent: dict[int, SentDigest]) -> SentDigest | None:
    """The first named digest that is really ours (its id and its hash agree)."""
    for ref in refs:
        s = sent.get(ref.outbox_id)
        if s is not None and s.check == ref.check:
            return s
    return None


def judge_reply(p: Parsed, sent: dict[int, SentDigest], max_attachment_mb: int) -> Verdict:
    digest = first_ours(p.refs, sent)
    if digest is None:
        return Verdict(Kind.OTHER, InboxState.IGNORED, "not a reply to a message of ours")
    if p.problem:
        return Verdict(Kind.REPLY, InboxState.REVIEW, p.problem, digest)
    if digest.unit is None:
        return Verdict(Kind.REPLY, InboxState.REVIEW, "a reply to the leadership's digest", digest)
    if p.from_addr not in digest.senders:
        return Verdict(Kind.REPLY, InboxState.REVIEW,
                       f"sender {p.from_addr or '(none)'} is not an address of unit {digest.unit} or of its head",
                       digest)
    too_big = [a for a in p.attachments if a.size > max_attachment_mb * MB]
    if too_big:
        a = too_big[0]
        return Verdict(Kind.REPLY, InboxState.REVIEW,
                       f"attachment {a.filename!r} is {a.size / MB:.1f} MB, over the {max_attachment_mb} MB limit",
                       digest)
    if not p.attachments:
        return Verdict(Kind.REPLY, InboxState.REVIEW, "no attachment", digest)
    own = [i for i in digest.items if i.unit == digest.unit]
    if p.numbers:
        chosen: list[Numbered] = []
        for n in p.numbers:
            matches = [i for i in own if i.number == n]
            if len(matches) != 1:
                why = "is not in the digest" if not matches else "is in several plans of the digest"
                return Verdict(Kind.REPLY, InboxState.REVIEW, f"item {n} {why}", digest)
            if not matches[0].expects_submission:
                return Verdict(Kind.REPLY, InboxState.REVIEW, f"item {n} expects no submission", digest)
            chosen.append(matches[0])
        return Verdict(Kind.REPLY, InboxState.RECORDED, "", digest, tuple(chosen))
    open_items = [i for i in own if i.expects_submission]
    if len(open_items) == 1:
        return Verdict(Kind.REPLY, InboxState.RECORDED, "", digest, tuple(open_items))
    if not open_items:
        return Verdict(Kind.REPLY, InboxState.REVIEW, "the digest had no item expecting a submission", digest)
    return Verdict(Kind.REPLY, InboxState.REVIEW,
                   f"the digest had {len(open_items)} open items and the reply does not say which "
                   "(first line: 'Đã gửi mục 1, 3')", digest)


def judge_bounce(p: Parsed, failures: tuple[Failure, ...], sent: dict[int, SentDigest]) -> Verdict:
    """Keep the failures for addresses the named digest went to."""
    named = [sent[r.outbox_id] for r in p.refs + p.mentioned
             if r.outbox_id in sent and sent[r.outbox_id].check == r.check]
    if not named:
        return Verdict(Kind.BOUNCE, InboxState.IGNORED, "a bounce for a message that is not ours")
    digest = named[0]
    ours = tuple(f for f in failures if any(f.recipient in s.recipients for s in named))
    if not ours:
        addresses = ", ".join(sorted({f.recipient for f in failures}))
        return Verdict(Kind.BOUNCE, InboxState.IGNORED, f"a bounce for an address we never sent to ({addresses})",
                       digest)
    for s in named:
        if any(f.recipient in s.recipients for f in ours):
            digest = s
            break
    permanent = tuple(f for f in ours if f.permanent)
    if permanent:
        reason = "; ".join(f"{f.recipient}: {f.status} {f.reason}" for f in permanent)
        return Verdict(Kind.BOUNCE, InboxState.BOUNCE, reason, digest, failures=permanent)
    reason = "; ".join(f"{f.recipient}: {f.status} {f.reason}" for f in ours)
    return Verdict(Kind.BOUNCE, InboxState.TEMPORARY, reason, digest, failures=ours)
