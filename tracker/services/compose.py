"""Compose a pass's messages: each digest rendered once, after every batch is decided.

A batch of the tick records its decisions and points each sent stage at the
outbox row of its recipient and instant. The row is created by the first batch
that needs it, in state ``composing``: delivery never takes such a row, and
later batches of the pass point at the same row instead of re-rendering a
growing digest (which made a pass quadratic in what was due: a coordinator's
digest re-rendered for every batch of 1,000).

When every batch has been decided, ``compose_pending`` reads each composing
row's items back from the store (its decisions, and ``outbox_copies`` for a
stage carried by several messages), streamed in the order of obligation and
unit, and renders it once: at most ``[mail] max_items`` items listed, the rest
summarised (core/digest_summary.py) and attached as CSV (render/digest_csv.py),
which stops at ``[mail] max_attachment_bytes`` and says what it left out.
Memory follows a chunk of messages, not the pass.

A pass that dies between its batches and this step leaves composing rows whose
decisions are committed; the next pass composes them (any pass composes every
composing row), so no decided stage is lost.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import select, union_all
from sqlalchemy.engine import Connection

from tracker.core.digest import Digest, DigestItem
from tracker.core.digest_summary import DigestCutter
from tracker.core.policy import LEADERSHIP, is_acknowledgement, stage_kind
from tracker.core.states import OutboxState
from tracker.services.dispatch import (
    Box, Directory, data_period_words, final_addresses, new_box, recipient_key, route_to,
)
from tracker.services.runtime import Runtime
from tracker.store import outbox
from tracker.store.tables import assignments, decisions, obligations, outbox_copies, plans, units
from tracker.store.tables import outbox as T

log = logging.getLogger("tracker.compose")

COMPOSING = OutboxState.COMPOSING  # decided into, not yet rendered; never delivered
CHUNK = 200  # messages read and written per statement (a chunk's rendered bodies stay in memory)


def placeholder(digest: Digest, now: datetime) -> dict[str, Any]:
    """The row a batch creates for a recipient and instant (``composing``); ``compose_pending`` fills it."""
    return outbox.composing_message(digest, now)


Finish = Callable[[Digest, Any], Any]  # (digest, rendered) -> rendered, e.g. the review queue's note


def compose_pending(rt: Runtime, conn: Connection, directory: Directory,
                    transaction: Callable[[], AbstractContextManager[Connection]], now: datetime,
                    render_calls: Callable[[str], None] | None = None, finish: Finish | None = None) -> int:
    """Render every composing row and queue it, due at ``now``; returns how many.
    ``transaction`` opens one transaction (or savepoint) per chunk of rows;
    ``finish`` may amend each rendered message."""
    with transaction():
        pending = conn.execute(select(T.c.id, T.c.key, T.c.created_at).where(T.c.state == COMPOSING)
                               .order_by(T.c.id)).all()
        if not pending:
            return 0
        catalog = _Catalog.load(conn)
    done = 0
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        with transaction():
            directory.ensure(conn, {_unit_of(r.key) for r in chunk} - {None} | catalog.coordinators)
            done += _compose_chunk(rt, conn, directory, catalog, chunk, now, render_calls, finish)
    return done


def _unit_of(key: str) -> str | None:
    rkey = key.split("|", 1)[0]
    return None if rkey == LEADERSHIP else rkey.split(":", 1)[1]


class _Catalog:
    """Every obligation and plan, read once per compose step (a few thousand rows at most)."""

    def __init__(self, obs: dict[int, Any], plans_: dict[int, Any]) -> None:
        self.obligations, self.plans = obs, plans_
        self.coordinators = {ob.report_to or plans_[ob.plan_id].coordinator_code for ob in obs.values()}

    @classmethod
    def load(cls, conn: Connection) -> "_Catalog":
        plans_ = {p.id: p for p in conn.execute(select(plans))}
        return cls({o.id: o for o in conn.execute(select(obligations))}, plans_)


def items_query(ids: list[int]):
    """A chunk's items, grouped by message, then by obligation and unit (what the cutter needs)."""
    d, a, u, c = decisions.c, assignments.c, units.c, outbox_copies.c

    def columns(box):
        return [box.label("box"), a.obligation_id, a.unit_id, a.period, d.stage, d.id.label("decision_id"),
                d.recipients, d.due_at, a.kind, a.ends_at, a.submitted_at, u.code.label("unit_code"),
                u.name.label("unit_name")]

    joined = decisions.join(assignments, a.id == d.assignment_id).join(units, u.id == a.unit_id)
    first = select(*columns(d.outbox_id)).select_from(joined).where(d.outbox_id.in_(ids))
    copies = select(*columns(c.outbox_id)).select_from(outbox_copies.join(joined, d.id == c.decision_id)) \
        .where(c.outbox_id.in_(ids))
    q = union_all(first, copies).subquery()
    return select(q).order_by(q.c.box, q.c.obligation_id, q.c.unit_id, q.c.period, q.c.stage, q.c.decision_id)


class _Message:
    """One message being composed from its items, in bounded memory."""

    def __init__(self, rt: Runtime, directory: Directory, row: Any, coordinators: set[str]) -> None:
        self.rt, self.directory, self.row = rt, directory, row
        self.coordinators = coordinators
        self.rkey = row.key.split("|", 1)[0]
        self.box: Box = new_box(self.rkey, directory)
        self.max_items = rt.settings.mail.max_items
        self.cutter = DigestCutter(row.created_at, rt.tz, self.max_items)
        self.first: list[DigestItem] | None = []  # every item, until there are more than max_items
        self.csv = None
        self._routed: set[tuple[str, str]] = set()

    def add(self, item: DigestItem, routes: Iterable[str], coordinator: str) -> None:
        for route in routes:
            if (route, coordinator) not in self._routed and recipient_key(route) == self.rkey:
                self._routed.add((route, coordinator))
                route_to(self.box, route, coordinator, self.directory)
        self.cutter.add(item)
        if self.first is not None:
            self.first.append(item)
            if len(self.first) > self.max_items:  # a long digest: from now on every item goes to the CSV
                from tracker.render.digest_csv import DigestCsv

                mail = self.rt.settings.mail
                self.csv = DigestCsv(self.row.created_at, self.rt.tz, mail.max_attachment_bytes,
                                     self.rt.settings.tracker.language)
                for i in self.first:
                    self.csv.add(i)
                self.first = None
        else:
            self.csv.add(item)

    def values(self, render_calls: Callable[[str], None] | None, finish: Finish | None) -> dict[str, Any]:
        from tracker.render.digest_csv import attachment_name
        from tracker.render.mail import render_digest, render_long_digest

        settings, tz = self.rt.settings, self.rt.tz
        to, cc, reply_to = final_addresses(self.box)
        cut = self.cutter.finish()
        digest = Digest(self.row.key, self.row.created_at, self.box.unit, self.box.name, to, cc, reply_to,
                        cut.listed, self.directory.link(self.box.unit))
        if render_calls is not None:
            render_calls(self.row.key)
        attachment = name = None
        if self.csv is None:
            rendered = render_digest(digest, settings)
        else:
            name = attachment_name(self.row.created_at, tz, settings.tracker.language)
            attachment = self.csv.finish(name, self._full_list_link(digest))  # first: the body says if it was cut
            rendered = render_long_digest(digest, cut, settings, name, self.csv.cut)
        if finish is not None:
            rendered = finish(digest, rendered)
        return {
            "oid": self.row.id, "v_to": list(to), "v_cc": list(cc), "v_reply_to": list(reply_to),
            "v_subject": rendered.subject, "v_text": rendered.text, "v_html": rendered.html,
            "v_items": [i.to_json(tz) for i in digest.ordered()], "v_name": name, "v_attachment": attachment,
        }


    def _full_list_link(self, digest: Digest) -> str | None:
        """Where a cut attachment's rows can all be seen: a coordinator's page, else the unit's own."""
        if self.box.unit in self.coordinators:
            return self.directory.coordinator_link(self.box.unit)
        return digest.link


def _compose_chunk(rt: Runtime, conn: Connection, directory: Directory, catalog: _Catalog, chunk: list[Any],
                   now: datetime, render_calls: Callable[[str], None] | None, finish: Finish | None) -> int:
    by_id = {r.id: r for r in chunk}
    values: list[dict[str, Any]] = []
    message: _Message | None = None
    obs, plans_ = catalog.obligations, catalog.plans
    for r in conn.execute(items_query(list(by_id)).execution_options(yield_per=2000)):
        if message is None or message.row.id != r.box:
            if message is not None:
                values.append(message.values(render_calls, finish))
            message = _Message(rt, directory, by_id[r.box], catalog.coordinators)
        ob = obs[r.obligation_id]
        plan = plans_[ob.plan_id]
        item = DigestItem(
            plan=plan.code, plan_title=plan.title, obligation=ob.code, title=ob.title, kind=r.kind,
            unit=r.unit_code, unit_name=r.unit_name, period=r.period, stage=stage_kind(r.stage), due_at=r.due_at,
            ends_at=r.ends_at, source=ob.source, strict_before=bool(ob.strict_before),
            submitted_at=r.submitted_at if is_acknowledgement(r.stage) else None,
            data_period=data_period_words(ob, plan, r.period),
            tz=getattr(plan, "timezone", None),  # shown in the plan's stored zone
        )
        message.add(item, r.recipients or (), ob.report_to or plan.coordinator_code)
    if message is not None:
        values.append(message.values(render_calls, finish))
    for v in values:
        v["v_due"] = now
    outbox.queue_composed(conn, values)
    empty = set(by_id) - {v["oid"] for v in values}
    if empty:  # nothing carried (cannot happen through the tick): nothing to send
        log.warning("outbox rows %s had no items; removed", sorted(empty))
        outbox.drop_composing(conn, empty)
    return len(values)
