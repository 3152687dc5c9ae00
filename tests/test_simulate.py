"""simulate: a year of the Hà Nội 2021 plan, message by message; the JSON contract; read-only."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from tests.conftest import EXAMPLES, at, load_sample
from tracker.store.models import Assignment, Decision, OutboxMessage
from tracker.services.simulate import simulate
from tracker.services.tick import tick

OTHERS = ["catp", "ctk", "hlhpn", "sgddt", "skhdt", "snnptnt", "snv", "stc", "stp", "stttt", "svhtt", "syt",
          "ubmttq", "ubnd-quan-huyen"]  # every unit but the coordinator sldtbxh


@pytest.fixture
def year(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    return [m.to_json(rt.tz) for m in simulate(rt, at("2021-02-01T00:00"), at("2021-12-31T23:59:59"))]


def schedule_of(messages: list[dict], recipient: str | None) -> list[tuple[str, list[tuple]]]:
    return [(m["at"][:16], [(i["obligation"], i["unit"], i["stage"]) for i in m["items"]])
            for m in messages if m["recipient_unit"] == recipient]


def test_a_year_of_the_hanoi_plan_for_one_unit_stage_by_stage(year):
    hlhpn = schedule_of(year, "hlhpn")
    assert hlhpn == [
        # ke-hoach-don-vi: "trước ngày 10/3/2021" -> last day Tue 9/3
        ("2021-02-23T08:00", [("ke-hoach-don-vi", "hlhpn", "before:14")]),
        ("2021-03-01T08:00", [("ngay-quoc-te-phu-nu", "hlhpn", "event:before:7")]),
        ("2021-03-02T08:00", [("ke-hoach-don-vi", "hlhpn", "before:7")]),
        # Sat 6/3 and Sun 7/3 move to Fri 5/3: one digest, ordered by date (the event 8/3, then the deadline 9/3)
        ("2021-03-05T08:00", [("ngay-quoc-te-phu-nu", "hlhpn", "event:before:1"),
                              ("ke-hoach-don-vi", "hlhpn", "before:3")]),
        ("2021-03-08T08:00", [("ke-hoach-don-vi", "hlhpn", "before:1")]),
        ("2021-03-09T08:00", [("ke-hoach-don-vi", "hlhpn", "before:0")]),
        ("2021-03-10T08:00", [("ke-hoach-don-vi", "hlhpn", "after:1")]),
        # bao-cao-6-thang: "trước ngày 30/5/2021" -> Sat 29/5 -> shifted to Mon 31/5 23:59:59
        ("2021-05-17T08:00", [("bao-cao-6-thang", "hlhpn", "before:14")]),
        ("2021-05-24T08:00", [("bao-cao-6-thang", "hlhpn", "before:7")]),
        ("2021-05-28T08:00", [("bao-cao-6-thang", "hlhpn", "before:1")]),  # before:3 collides: skipped
        ("2021-05-31T08:00", [("bao-cao-6-thang", "hlhpn", "before:0")]),
        ("2021-06-01T08:00", [("bao-cao-6-thang", "hlhpn", "after:1")]),
        ("2021-10-13T08:00", [("ngay-phu-nu-viet-nam", "hlhpn", "event:before:7")]),
        ("2021-10-19T08:00", [("ngay-phu-nu-viet-nam", "hlhpn", "event:before:1")]),
        ("2021-11-08T08:00", [("thang-hanh-dong", "hlhpn", "window:before:7")]),
        ("2021-11-12T08:00", [("thang-hanh-dong", "hlhpn", "window:before:1")]),  # Sun 14/11 -> Fri
        # bao-cao-nam: "trước ngày 30/11/2021" -> Mon 29/11; its before:14 meets the window's start
        ("2021-11-15T08:00", [("thang-hanh-dong", "hlhpn", "window:start"),
                              ("bao-cao-nam", "hlhpn", "before:14")]),
        ("2021-11-22T08:00", [("bao-cao-nam", "hlhpn", "before:7")]),
        ("2021-11-26T08:00", [("bao-cao-nam", "hlhpn", "before:1")]),  # Sun 28/11 -> Fri; before:3 skipped
        ("2021-11-29T08:00", [("bao-cao-nam", "hlhpn", "before:0")]),
        ("2021-11-30T08:00", [("bao-cao-nam", "hlhpn", "after:1")]),
    ]


def test_the_coordinator_gets_levels_2_and_3_for_every_late_unit_in_one_digest_each(year):
    sldtbxh = schedule_of(year, "sldtbxh")
    expected = [
        ("2021-03-12T08:00", "ke-hoach-don-vi", "after:2"), ("2021-03-18T08:00", "ke-hoach-don-vi", "after:3"),
        ("2021-06-03T08:00", "bao-cao-6-thang", "after:2"), ("2021-06-09T08:00", "bao-cao-6-thang", "after:3"),
        ("2021-12-02T08:00", "bao-cao-nam", "after:2"), ("2021-12-08T08:00", "bao-cao-nam", "after:3"),
    ]
    assert sldtbxh == [(when, [(ob, u, stage) for u in OTHERS]) for when, ob, stage in expected]


def test_every_message_is_a_digest_at_the_send_time_on_a_working_day(year):
    per_instant = defaultdict(list)
    for m in year:
        per_instant[m["at"]].append(m["recipient_unit"])
        assert m["at"].endswith("T08:00:00+07:00")
    assert all(len(r) == len(set(r)) for r in per_instant.values())  # one message per recipient and time
    assert [m["at"] for m in year] == sorted(m["at"] for m in year)
    # 14 units x (ke-hoach 6 + 6-thang 5 + nam 5 + window 3 sent stages, less the 15/11 merge)
    # + hlhpn's 4 event reminders, one merged on 5/3, + 6 coordinator digests.
    assert len(year) == 14 * (6 + 5 + 5 + 3 - 1) + 4 - 1 + 6


def test_simulate_json_is_the_contract_shape(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    cli("--now", "2021-05-20T09:00", "tick")  # the daemon ran until then: no backlog to catch up
    result = cli("simulate", "--from", "2021-05-24", "--to", "2021-05-24", "--json")
    assert result.exit_code == 0, result.err
    messages = json.loads(result.out)
    assert len(messages) == 14
    first = messages[0]
    assert first == {
        "at": "2021-05-24T08:00:00+07:00", "to": ["vanthu@catp.example.vn"], "cc": [], "recipient_unit": "catp",
        "subject": first["subject"],
        "items": [{"plan": "hn-2021-43", "obligation": "bao-cao-6-thang", "unit": "catp", "period": "2021",
                   "stage": "before:7", "due": "2021-05-31T23:59:59+07:00"}],
    }
    assert first["subject"]


def test_simulate_prints_a_readable_day_by_day_list(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    cli("--now", "2021-05-31T09:00", "tick")
    result = cli("simulate", "--from", "2021-06-01", "--to", "3/6/2021")
    assert result.exit_code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Tue 2021-06-01"
    assert "  08:00  to syt <vanthu@syt.example.vn>  cc giamdoc@syt.example.vn" in lines
    assert "Thu 2021-06-03" in lines
    assert lines[-1] == "15 messages to 15 recipients, 28 items, 2021-06-01 to 2021-06-03"


def test_simulate_continues_from_what_the_daemon_already_decided_and_writes_nothing(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-24T08:00"))
    before = _counts(rt)
    msgs = simulate(rt, at("2021-05-24T00:00"), at("2021-05-31T23:59:59"))
    assert _counts(rt) == before
    assert {m.at for m in msgs} == {at("2021-05-28T08:00"), at("2021-05-31T08:00")}  # 24/5 already sent


def test_simulate_includes_periods_not_yet_materialised(rt, tmp_path):
    # The sample made a multi-year programme (valid to 2025), materialised to early 2022.
    from tracker.services.imports import import_plan, import_units

    plan = tmp_path / "plan.yaml"
    plan.write_text((EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8").replace(
        "  year: 2021\n", "  year: 2021\n  valid_until: 31/12/2025\n"), encoding="utf-8")
    import_units(rt, EXAMPLES / "units.csv", at("2021-02-01T09:00"))
    import_plan(rt, plan, at("2021-02-01T09:00"))
    msgs = simulate(rt, at("2023-05-01T00:00"), at("2023-05-31T23:59:59"))
    # bao-cao-6-thang 2023: "trước 30/5" -> Mon 29/5/2023; before:14 Mon 15/5, before:7 Mon 22/5
    stages = sorted({(m.at.astimezone(rt.tz).strftime("%d/%m"), i.stage) for m in msgs for i in m.digest.items
                     if (i.obligation, i.period) == ("bao-cao-6-thang", "2023")})
    assert stages == [("15/05", "before:14"), ("22/05", "before:7"), ("26/05", "before:1"), ("29/05", "before:0"),
                      ("30/05", "after:1")]


def test_to_before_from_is_a_user_error(cli):
    result = cli("simulate", "--from", "2021-06-01", "--to", "2021-05-01")
    assert result.exit_code == 1 and result.err.startswith("error: --to: --to is before --from")


def _counts(rt) -> tuple:
    with rt.store.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Decision, OutboxMessage, Assignment))


def test_simulate_streams_json_lines_and_a_json_array_of_the_same_messages(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    cli("--now", "2021-05-20T09:00", "tick")
    array = cli("simulate", "--from", "2021-05-24", "--to", "2021-06-04", "--json")
    lines = cli("simulate", "--from", "2021-05-24", "--to", "2021-06-04", "--jsonl")
    assert array.exit_code == lines.exit_code == 0
    per_line = [json.loads(line) for line in lines.out.splitlines()]
    assert per_line == json.loads(array.out) and len(per_line) > 14
    assert [m["at"] for m in per_line] == sorted(m["at"] for m in per_line)
    empty = cli("simulate", "--from", "2021-05-22", "--to", "2021-05-23", "--json")  # a weekend: nothing
    assert (empty.exit_code, json.loads(empty.out)) == (0, [])


def test_simulate_yields_messages_one_at_a_time(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    messages = simulate(rt, at("2021-02-01T00:00"), at("2021-12-31T23:59:59"))
    assert iter(messages) is messages  # a generator: the CLI prints each before the next is made
    assert next(messages).at == at("2021-02-23T08:00")
