"""Input that would exhaust the machine or poison the output (issue 21): YAML
aliases and anchors, deep nesting, huge files, control characters; cells that
would run as spreadsheet formulas. Each refused on one line, nothing written."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.test_import import PLAN, write
from tracker.store.models import Plan, Unit

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
plan:
  id: bomb
  issuer: x
  year: *c
"""


def nothing_written(rt) -> bool:
    with rt.store.read() as s:
        return s.scalar(select(func.count()).select_from(Plan)) == 0 and \
            s.scalar(select(func.count()).select_from(Unit)) == 0


def test_yaml_aliases_and_anchors_are_refused_in_plan_files(cli, rt, tmp_path):
    path = write(tmp_path, "bomb.yaml", BOMB)
    result = cli("plan", "import", path)
    assert (result.exit_code, result.out) == (1, "")
    assert result.err == (f"error: {path}:1: YAML anchors (&a) are not allowed in plan or unit files; "
                          "write the value out\n")
    assert nothing_written(rt)


def test_a_yaml_alias_alone_is_refused_in_unit_files(cli, rt, tmp_path):
    path = write(tmp_path, "units.yaml", "units:\n  - code: a\n    name: A\n    email: *x\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err.startswith(f"error: {path}:4: ")  # ruamel refuses an undefined alias itself
    assert result.err.count("\n") == 1
    defined = write(tmp_path, "units2.yaml",
                    "units:\n  - code: a\n    name: &n A\n    email: a@x.example.vn\n"
                    "  - code: b\n    name: *n\n    email: b@x.example.vn\n")
    result = cli("units", "import", defined)
    assert result.err == (f"error: {defined}:3: YAML anchors (&n) are not allowed in plan or unit files; "
                          "write the value out\n")
    assert nothing_written(rt)


def test_nesting_deeper_than_the_limit_is_one_line_not_a_recursion_error(cli, rt, tmp_path):
    path = write(tmp_path, "deep.yaml", "plan: " + "[" * 5000 + "]" * 5000 + "\n")
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err == f"error: {path}:1: nested more than 32 levels deep (tracker.max_nesting)\n"
    assert nothing_written(rt)


def test_a_file_larger_than_the_limit_is_refused_unread(cli, rt, tmp_path, config_file):
    config_file.write_text(config_file.read_text() + "\n[tracker]\nmax_input_bytes = 2000\n", encoding="utf-8")
    path = write(tmp_path, "big.yaml", PLAN.format(due="30/5") + "# padding\n" * 300)
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    size = len((tmp_path / "big.yaml").read_bytes())
    assert result.err == (f"error: {path}: {size} bytes is more than tracker.max_input_bytes (2000); "
                          "is this the right file?\n")
    assert nothing_written(rt)


@pytest.mark.parametrize("field, value, shown", [
    ("name: Hội Liên hiệp Phụ nữ", 'name: "Hội Liên hiệp\\nEND:VEVENT"', "U+000A"),
    ("name: Hội Liên hiệp Phụ nữ", 'name: "Hội \\e[31mđỏ"', "U+001B"),
    ("title: Kế hoạch thử", 'title: "Kế hoạch\\0thử"', "U+0000"),
    ("  coordinator: sldtbxh", '  number: "12/KH\\rUBND"\n  coordinator: sldtbxh', "U+000D"),
])
def test_control_characters_in_names_titles_and_numbers_are_refused_at_import(cli, rt, tmp_path, field, value,
                                                                              shown):
    text = PLAN.format(due="30/5").replace(field, value, 1)
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert result.exit_code == 1 and result.err.count("\n") == 1
    assert f"contains a control character ({shown}); names and titles are one line of text" in result.err
    assert nothing_written(rt)


def test_control_characters_in_a_units_csv_are_refused(cli, rt, tmp_path):
    path = write(tmp_path, "u.csv", "code,name,email\nsyt,\"Sở Y tế\x1b]0;pwned\x07\",a@syt.example.vn\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err == (f"error: {path}:2: unit 'syt': name contains a control character (U+001B); "
                          "names and titles are one line of text\n")


# --- every instant in the plan's stored zone ------------------------------------

def test_status_and_csv_show_deadlines_in_the_plans_zone_after_the_config_zone_changed(cli, config_file, tmp_path):
    import json

    from tests.conftest import EXAMPLES

    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    config_file.write_text(config_file.read_text() + '\n[tracker]\ntimezone = "Pacific/Auckland"\n', encoding="utf-8")
    rows = json.loads(cli("--now", "2021-05-31T09:00", "status", "--json", "--unit", "syt").out)
    dues = {r["obligation"]: r["due"] for r in (rows["rows"] if isinstance(rows, dict) else rows)}
    assert dues["bao-cao-6-thang"] == "2021-05-31T23:59:59+07:00"  # not 2021-06-01T04:59:59+12:00
    raw = cli("--now", "2021-05-31T09:00", "export", "csv", "--columns", "raw", "-o", "-").out
    assert ",2021-05-31T23:59:59+07:00," in raw and "+12:00" not in raw
    sheet = cli("--now", "2021-05-31T09:00", "export", "csv", "-o", "-").out  # dates a spreadsheet reads
    assert "năm 2021,2021-05-31," in sheet and "2021-06-01" not in sheet


def test_mail_shows_the_deadline_in_the_plans_zone_after_the_config_zone_changed(rt):
    from dataclasses import replace

    from sqlalchemy import select

    from tests.conftest import at, load_sample
    from tracker.services.runtime import Runtime
    from tracker.services.tick import tick
    from tracker.store.models import OutboxMessage

    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"), deliver=False)
    moved = Runtime(replace(rt.settings, tracker=replace(rt.settings.tracker, timezone="Pacific/Auckland")),
                    rt.store, actor="tester")
    tick(moved, at("2021-05-24T08:00"), deliver=False)
    with rt.store.read() as s:
        body = s.scalars(select(OutboxMessage.body_text).where(OutboxMessage.recipient_unit == "syt")
                         .order_by(OutboxMessage.id.desc())).first()
    assert "31/05/2021" in body and "01/06/2021" not in body


def test_the_digest_csv_attachment_writes_no_formula():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from tests.mail_support import item
    from tracker.render.digest_csv import DigestCsv

    table = DigestCsv(datetime(2021, 6, 3, 1, 0, tzinfo=timezone.utc), ZoneInfo("Asia/Ho_Chi_Minh"))
    table.add(item(title="=HYPERLINK(\"http://evil\",\"x\")", unit_name="+Sở Y tế"))
    rows = list(csv.reader(io.StringIO(table.finish().decode("utf-8-sig"))))
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\",\"x\")" and rows[1][4] == "'+Sở Y tế"
