"""simulate reads the store as its clock reaches it: the stored assignments a chunk at a
time in the order of their next action, the periods not yet materialised when their
first stage comes. What it says must not depend on where the chunks end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import EXAMPLES, at, load_sample
from tracker.services import simulate as simulate_module
from tracker.services.catalog import init_db
from tracker.services.imports import import_plan, import_units
from tracker.services.records import submit
from tracker.services.runtime import Runtime
from tracker.services.simulate import simulate
from tracker.services.tick import tick
from tracker.store.engine import Store
from tracker.store.models import Assignment, Obligation, Unit


def messages(rt, start: str, end: str) -> list[tuple]:
    """Everything a message says, addresses in their order included (they are
    gathered in the order the assignments are decided within an instant)."""
    return [(m.at, m.digest.key, m.digest.to, m.digest.cc, m.digest.reply_to, m.digest.recipient_unit,
             m.subject, tuple(m.items()))
            for m in simulate(rt, at(start), at(end))]


def a_store_under_way(rt, tmp_path) -> None:
    """The sample as a programme valid to 2025 (later periods not materialised yet),
    run by the daemon to 3 June 2021, with two late reports after escalation."""
    plan = tmp_path / "plan.yaml"
    plan.write_text((EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8").replace(
        "  year: 2021\n", "  year: 2021\n  valid_until: 31/12/2025\n"), encoding="utf-8")
    import_units(rt, EXAMPLES / "units.csv", at("2021-02-01T09:00"))
    import_plan(rt, plan, at("2021-02-01T09:00"))
    for when in ("2021-03-09T08:00", "2021-03-12T08:00", "2021-05-24T08:00", "2021-06-03T08:00"):
        tick(rt, at(when))
    submit(rt, at("2021-06-04T10:00"), "catp", "bao-cao-6-thang")  # after level 2: acknowledged
    submit(rt, at("2021-06-04T10:00"), "stc", "bao-cao-6-thang")


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_small_chunks_give_the_messages_of_one_read_where_many_assignments_share_each_instant(rt, tmp_path,
                                                                                              monkeypatch, chunk):
    # 14 units share every stage instant; the coordinator's digests gather all 14; stored
    # assignments (with histories, two awaiting their acknowledgement) meet the periods
    # of 2022 the daemon has not materialised yet.
    a_store_under_way(rt, tmp_path)
    monkeypatch.setattr(simulate_module, "_CHUNK", 1_000_000)  # the whole store in the first read
    at_once = messages(rt, "2021-06-04T09:00", "2022-06-30T23:59:59")
    monkeypatch.setattr(simulate_module, "_CHUNK", chunk)
    assert messages(rt, "2021-06-04T09:00", "2022-06-30T23:59:59") == at_once
    stages = {i.stage for m in at_once for i in m[-1]}
    assert {"resolved", "before:14", "after:3"} <= stages
    periods = {(i.obligation, i.period) for m in at_once for i in m[-1]}
    assert {("bao-cao-6-thang", "2021"), ("bao-cao-6-thang", "2022"), ("ke-hoach-don-vi", "2022")} <= periods
    coordinator = [m for m in at_once if m[5] == "sldtbxh" and m[0] == at("2021-06-09T08:00")]
    assert [len(m[-1]) for m in coordinator] == [12]  # after:3 of the 14, less the two who reported


def test_an_assignment_whose_ladder_crosses_chunk_boundaries_gets_every_stage(rt, monkeypatch):
    load_sample(rt, at("2021-02-01T09:00"))
    with rt.store.read() as s:
        hlhpn = s.scalar(select(Assignment.id).join(Obligation).join(Unit, Unit.id == Assignment.unit_id)
                         .where(Obligation.code == "ke-hoach-don-vi", Unit.code == "hlhpn"))
    monkeypatch.setattr(simulate_module, "_CHUNK", 2)
    events: list[tuple] = []
    read = simulate_module.load_history

    def spy(conn, rows):
        events.append(("chunk", {r.id for r in rows}))
        return read(conn, rows)

    monkeypatch.setattr(simulate_module, "load_history", spy)
    for m in simulate(rt, at("2021-02-01T09:00"), at("2021-03-31T23:59:59")):
        events += [("stage", m.at.astimezone(rt.tz).strftime("%d/%m"), i.stage) for i in m.digest.items
                   if (i.unit, i.obligation) == ("hlhpn", "ke-hoach-don-vi")]
    stages = [e[1:] for e in events if e[0] == "stage"]
    assert stages == [("23/02", "before:14"), ("02/03", "before:7"), ("05/03", "before:3"), ("08/03", "before:1"), ("09/03", "before:0"),
                      ("10/03", "after:1"), ("12/03", "after:2"), ("18/03", "after:3")]
    read_in = next(n for n, e in enumerate(events) if e[0] == "chunk" and hlhpn in e[1])
    last = max(n for n, e in enumerate(events) if e[0] == "stage")
    assert read_in < events.index(("stage", "23/02", "before:14"))
    assert any(e[0] == "chunk" and e[1] for e in events[read_in + 1:last])  # chunks were read while under way


def test_on_postgresql_a_cursor_read_in_chunks_gives_the_messages_of_sqlite(rt, pg_url, settings, tmp_path,
                                                                           monkeypatch):
    pg = Runtime(settings, Store(pg_url), actor="tester")
    try:
        init_db(pg)
        for store in (rt, pg):
            a_store_under_way(store, tmp_path)
        monkeypatch.setattr(simulate_module, "_CHUNK", 2)
        on_sqlite = messages(rt, "2021-06-04T09:00", "2022-06-30T23:59:59")
        assert messages(pg, "2021-06-04T09:00", "2022-06-30T23:59:59") == on_sqlite
        assert len(on_sqlite) > 200
    finally:
        pg.store.dispose()
