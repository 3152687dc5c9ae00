"""Read and validate unit files: CSV (``code,name,email,head_email,kind,parent``,
several e-mails separated by ``;``) or YAML (the ``units:`` list of a plan file).
Pure: text in, specs out; every problem is reported at once with its line."""

from __future__ import annotations

import csv
import io

from tracker.core.errors import InputError
from tracker.core.fieldchecks import Collector
from tracker.core.planfile import UnitSpec, unit_spec
from tracker.core.tabletext import sniff_delimiter
from tracker.core.yamltext import MAX_DEPTH, load_yaml, nfc

CSV_COLUMNS = ("code", "name", "email", "head_email", "kind", "parent")
_REQUIRED = ("code", "name", "email")


def parse_units_with_problems(text: str, filename: str, *, max_depth: int = MAX_DEPTH) -> tuple[tuple[UnitSpec, ...], list[InputError]]:
    """The valid units of a file and the problems of the others, without raising,
    so the import adds what only the store can see (unknown parents) and reports
    every problem of the file in one run."""
    c = Collector(filename)
    return _parse(text, filename, c, max_depth), c.errors


def parse_units(text: str, filename: str, *, max_depth: int = MAX_DEPTH) -> tuple[UnitSpec, ...]:
    """``text``: YAML, or a table (.csv, .txt, .tsv, or an .xlsx read as CSV text)."""
    c = Collector(filename)
    specs = _parse(text, filename, c, max_depth)
    c.raise_if_any()
    return specs


def _parse(text: str, filename: str, c: Collector, max_depth: int = MAX_DEPTH) -> tuple[UnitSpec, ...]:
    if filename.lower().endswith((".yaml", ".yml")):
        return _parse_yaml(text, filename, c, max_depth)
    if filename.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
        return _parse_csv(text, filename, c)
    raise InputError("unit files are .csv, .txt (tab-separated), .xlsx or .yaml", filename)


def _parse_yaml(text: str, filename: str, c: Collector, max_depth: int = MAX_DEPTH) -> tuple[UnitSpec, ...]:
    doc = load_yaml(text, filename, max_depth=max_depth)
    nodes = doc.get("units") if isinstance(doc, dict) else doc
    if not isinstance(nodes, list):
        raise InputError("expected a units: list", filename)
    units = [unit_spec(c, node, f"units[{i}]") for i, node in enumerate(nodes)]
    _require_emails_and_unique(c, [u for u in units if u is not None], nodes)
    return tuple(u for u in units if u is not None)


class _LineNode(dict):
    """A CSV row that reports its own line number to the Collector."""

    def __init__(self, row: dict, line: int) -> None:
        super().__init__(row)
        self.lc = _LC(line)


class _LC:
    def __init__(self, line: int) -> None:
        self.line = line - 1

    def key(self, _key):
        return (self.line, 0)


def _parse_csv(text: str, filename: str, c: Collector) -> tuple[UnitSpec, ...]:
    text = nfc(text.lstrip("\ufeff"))
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"invalid CSV: {exc}", filename) from None
    if not rows:
        raise InputError("empty file: expected a header code,name,email,head_email,kind,parent", filename)
    header = [h.strip().lower() for h in rows[0]]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [h for h in _REQUIRED if h not in header]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        raise InputError(f"{'; '.join(parts)} (header must be {','.join(CSV_COLUMNS)})", f"{filename}:1")
    nodes = []
    units = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            c.add(f"expected {len(header)} fields, found {len(row)}", _LineNode({}, lineno))
            continue
        values = {h: cell.strip() for h, cell in zip(header, row)}
        node = _LineNode({k: v for k, v in values.items() if v != ""}, lineno)
        if "email" in node:
            node["email"] = [e for e in node["email"].split(";")]
        nodes.append(node)
        units.append(unit_spec(c, node, f"line {lineno}"))
    _require_emails_and_unique(c, [u for u in units if u is not None], nodes)
    return tuple(u for u in units if u is not None)


def _require_emails_and_unique(c: Collector, units: list[UnitSpec], nodes: list) -> None:
    seen: dict[str, str] = {}
    by_where = {c.at(n): n for n in nodes if isinstance(n, dict)}
    for u in units:
        node = by_where.get(u.where)
        if not u.emails:
            c.add(f"unit {u.code!r} has no e-mail address", node, "email")
        if u.code in seen:
            c.add(f"duplicate unit code {u.code!r} (first at {seen[u.code]})", node, "code")
        else:
            seen[u.code] = u.where
