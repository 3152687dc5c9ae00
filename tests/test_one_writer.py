"""One writer per queue table (docs/architecture.md): the outbox and its
``outbox_copies`` are written only by ``tracker/store/outbox/``, the inbox only
by ``tracker/store/inbox.py``; every other module asks them. The check reads
the source (AST), so it holds for code no test happens to run, and it fails on
a deliberate violation in a copy of the tree."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# table name -> the module (or package) that alone may write it
OWNERS = {
    "outbox": "tracker/store/outbox",
    "outbox_copies": "tracker/store/outbox",
    "inbox": "tracker/store/inbox.py",
}
MODELS = {"OutboxMessage": "outbox"}  # the ORM classes mapped on those tables
_WRITES = {"insert", "update", "delete", "insert_many", "update_many"}
_SQL = re.compile(r"\b(?:insert\s+into|update|delete\s+from)\s+[\"`]?(" + "|".join(OWNERS) + r")\b[\"`]?(?!\w)",
                  re.IGNORECASE)


def _bound_tables(tree: ast.AST) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """The names a module binds to an owned table (``from tracker.store.tables
    import outbox as T``), to the tables module itself, and to an owned model."""
    tables, modules, models = {}, set(), {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            bound = alias.asname or alias.name
            if node.module == "tracker.store.tables" and alias.name in OWNERS:
                tables[bound] = alias.name
            elif node.module == "tracker.store" and alias.name == "tables":
                modules.add(bound)
            elif node.module == "tracker.store.models" and alias.name in MODELS:
                models[bound] = MODELS[alias.name]
    return tables, modules, models


def _table_of(node: ast.AST, tables: dict[str, str], modules: set[str]) -> str | None:
    if isinstance(node, ast.Name):
        return tables.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
        return node.attr if node.attr in OWNERS else None
    return None


def _writes(path: Path) -> list[tuple[int, str]]:
    """(line, table) of every write of an owned table in one module."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    tables, modules, models = _bound_tables(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in _WRITES:
                # insert(outbox), bulk.update_many(conn, outbox, ...)
                found += [(node.lineno, t) for t in (_table_of(a, tables, modules) for a in node.args) if t]
                # outbox.update(), tables.outbox.delete()
                if isinstance(func, ast.Attribute) and (t := _table_of(func.value, tables, modules)):
                    found.append((node.lineno, t))
            if isinstance(func, ast.Name) and func.id in models:  # session.add(OutboxMessage(...))
                found.append((node.lineno, models[func.id]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, m.group(1).lower()) for m in _SQL.finditer(node.value)]
    return found


def offenders(root: Path) -> list[str]:
    """``path:line writes table`` for each write outside the table's owner."""
    out = []
    for path in sorted((root / "tracker").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, table in _writes(path):
            owner = OWNERS[table]
            if rel != owner and not rel.startswith(owner + "/"):
                out.append(f"{rel}:{line} writes {table} (owner: {owner})")
    return out


def test_each_queue_table_is_written_only_by_its_store_module():
    assert offenders(REPO) == []


def test_the_owners_do_write_their_tables():
    # The check would pass vacuously if it recognised no write at all.
    written = {t for owner in ("tracker/store/outbox/queue.py", "tracker/store/outbox/lease.py",
                               "tracker/store/inbox.py") for _, t in _writes(REPO / owner)}
    assert written == {"outbox", "outbox_copies", "inbox"}


VIOLATIONS = {
    "a Core insert": ("tracker/services/weekly.py", "from sqlalchemy import insert\n"
                      "from tracker.store.tables import outbox\n\n"
                      "def sneak(conn, rows):\n    conn.execute(insert(outbox), rows)\n",
                      "tracker/services/weekly.py:{line} writes outbox (owner: tracker/store/outbox)"),
    "an aliased table's update()": ("tracker/services/delivery.py", "from tracker.store.tables import outbox as T\n\n"
                                    "def sneak(conn):\n    conn.execute(T.update().values(state='sent'))\n",
                                    "tracker/services/delivery.py:{line} writes outbox (owner: tracker/store/outbox)"),
    "a delete through the tables module": ("tracker/services/compose.py", "from tracker.store import tables\n\n"
                                           "def sneak(conn):\n    conn.execute(tables.outbox_copies.delete())\n",
                                           "tracker/services/compose.py:{line} writes outbox_copies "
                                           "(owner: tracker/store/outbox)"),
    "an ORM row": ("tracker/services/notices.py", "from tracker.store.models import OutboxMessage\n\n"
                   "def sneak(session):\n    session.add(OutboxMessage(key='k'))\n",
                   "tracker/services/notices.py:{line} writes outbox (owner: tracker/store/outbox)"),
    "raw SQL": ("tracker/store/bulk.py", "SNEAK = 'UPDATE inbox SET state = 1'\n",
                "tracker/store/bulk.py:{line} writes inbox (owner: tracker/store/inbox.py)"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_write_outside_the_owner_fails_the_check(tmp_path, case):
    target, code, expected = VIOLATIONS[case]
    shutil.copytree(REPO / "tracker", tmp_path / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    module = tmp_path / target
    before = module.read_text(encoding="utf-8")
    module.write_text(before + "\n\n" + code, encoding="utf-8")
    line = len((before + "\n\n" + code).splitlines())  # each violation's write is its last line
    assert offenders(tmp_path) == [expected.format(line=line)]
