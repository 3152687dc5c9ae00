"""Spreadsheet cells that cannot run (issue 21): OWASP's rule against CSV
formula injection, in every CSV a spreadsheet opens."""

from __future__ import annotations

import csv
import io

import pytest

from tests.test_import import PLAN, write
from tracker.render.cells import safe_cell


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Sở Y tế", "Sở Y tế"), ("", ""), (3, 3), (None, None), ("a=b", "a=b"),
])
def test_safe_cell_neutralises_formulas_by_the_owasp_rule(value, cell):
    assert safe_cell(value) == cell


def test_export_csv_writes_no_formula(cli, tmp_path):
    text = PLAN.format(due="30/5").replace("title: Báo cáo 6 tháng", 'title: "=cmd|\' /C calc\'!A0"')
    text = text.replace("name: Hội Liên hiệp Phụ nữ", "name: \"@SUM(1+1)\"")
    result = cli("--now", "2021-02-01T09:00", "plan", "import", write(tmp_path, "p.yaml", text))
    assert result.exit_code == 0, result.err
    out = cli("--now", "2021-06-03T09:00", "export", "csv", "-o", "-").out
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    hlhpn = [r for r in rows if r[3] == "hlhpn"]
    assert hlhpn[0][2] == "'=cmd|' /C calc'!A0" and hlhpn[0][4] == "'@SUM(1+1)"
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_the_digest_csv_attachment_writes_no_formula():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from tests.mail_support import item
    from tracker.render.digest_csv import DigestCsv

    table = DigestCsv(datetime(2021, 6, 3, 1, 0, tzinfo=timezone.utc), ZoneInfo("Asia/Ho_Chi_Minh"))
    table.add(item(title="=HYPERLINK(\"http://evil\",\"x\")", unit_name="+Sở Y tế"))
    rows = list(csv.reader(io.StringIO(table.finish().decode("utf-8-sig"))))
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\",\"x\")" and rows[1][4] == "'+Sở Y tế"
