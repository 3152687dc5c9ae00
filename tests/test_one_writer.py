"""One writer per queue table (docs/architecture.md): the outbox and its
``outbox_copies`` are written only by ``tracker/store/outbox/``, the inbox only
by ``tracker/store/inbox.py``; every other module asks them. The other tables
are written by the services (and the store), never by a shell, the core, the
extractor, a renderer or a transport. The check reads the source (AST), so it
holds for code no test happens to run, and it fails on deliberate violations
in a copy of the tree."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# queue table -> the module (or package) that alone may write it
OWNERS = {
    "outbox": "tracker/store/outbox",
    "outbox_copies": "tracker/store/outbox",
    "inbox": "tracker/store/inbox.py",
}
WRITERS = ("tracker/services", "tracker/store")  # where any other table may be written
_WRITES = {"insert", "update", "delete", "insert_many", "update_many"}


def _tables(root: Path) -> tuple[set[str], dict[str, str]]:
    """Every table of store/tables.py, and the ORM class mapped on each (store/models.py)."""
    tables = {t.id for node in ast.parse((root / "tracker/store/tables.py").read_text(encoding="utf-8")).body
              if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", None) == "Table" for t in node.targets}
    models = {}
    for node in ast.parse((root / "tracker/store/models.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.Assign) and getattr(item.targets[0], "id", None) == "__table__"
                        and isinstance(item.value, ast.Attribute)):
                    models[node.name] = item.value.attr
    return tables, models


def _bound(tree: ast.AST, tables: set[str], models: dict[str, str]):
    """The names a module binds to a table (``from tracker.store.tables import
    outbox as T``), to the tables module itself, and to an ORM class."""
    bound_tables, modules, bound_models = {}, set(), {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            name = alias.asname or alias.name
            if node.module == "tracker.store.tables" and alias.name in tables:
                bound_tables[name] = alias.name
            elif node.module == "tracker.store" and alias.name == "tables":
                modules.add(name)
            elif node.module == "tracker.store.models" and alias.name in models:
                bound_models[name] = models[alias.name]
    return bound_tables, modules, bound_models


def _writes(path: Path, tables: set[str], models: dict[str, str]) -> list[tuple[int, str]]:
    """(line, table) of every write of a table in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound_tables, modules, bound_models = _bound(tree, tables, models)
    # SQL's own shape (INSERT INTO t, UPDATE t SET, DELETE FROM t), not prose such as "update units from FILE"
    names = "|".join(sorted(tables))
    sql = re.compile(rf"\b(?:insert\s+into\s+[\"`]?({names})\b|update\s+[\"`]?({names})[\"`]?\s+set\b"
                     rf"|delete\s+from\s+[\"`]?({names})\b)", re.IGNORECASE)

    def table_of(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):  # a table, or an ORM class (delete(Waiver))
            return bound_tables.get(node.id) or bound_models.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            return node.attr if node.attr in tables else None
        return None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in _WRITES:
                # insert(outbox), bulk.update_many(conn, assignments, ...)
                found += [(node.lineno, t) for t in map(table_of, node.args) if t]
                # outbox.update(), tables.outbox.delete()
                if isinstance(func, ast.Attribute) and (t := table_of(func.value)):
                    found.append((node.lineno, t))
            if isinstance(func, ast.Name) and func.id in bound_models:  # session.add(OutboxMessage(...))
                found.append((node.lineno, bound_models[func.id]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, next(g for g in m.groups() if g).lower()) for m in sql.finditer(node.value)]
    return found


def _inside(rel: str, folder: str) -> bool:
    return rel == folder or rel.startswith(folder.removesuffix(".py") + "/")


def offenders(root: Path) -> list[str]:
    """``path:line writes table`` for each write outside the table's writers."""
    tables, models = _tables(root)
    out = []
    for path in sorted((root / "tracker").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, table in sorted(_writes(path, tables, models)):
            if table in OWNERS:
                if not _inside(rel, OWNERS[table]):
                    out.append(f"{rel}:{line} writes {table} (only {OWNERS[table]} may)")
            elif not any(_inside(rel, w) for w in WRITERS):
                out.append(f"{rel}:{line} writes {table} (only the services and the store may)")
    return out


def test_each_queue_table_is_written_only_by_its_store_module():
    assert [o for o in offenders(REPO) if "(only tracker/store/" in o] == []


def test_no_shell_core_renderer_or_transport_writes_a_table():
    assert offenders(REPO) == []


def test_the_check_sees_the_writes_that_are_allowed():
    # It would pass vacuously if it recognised no write at all.
    tables, models = _tables(REPO)
    seen = {t for path in (REPO / "tracker").rglob("*.py") for _, t in _writes(path, tables, models)}
    assert {"outbox", "outbox_copies", "inbox", "decisions", "assignments", "units", "obligations",
            "submissions", "waivers", "audit_log"} <= seen


VIOLATIONS = {
    "a Core insert of the outbox in a service": (
        "tracker/services/weekly.py",
        "from sqlalchemy import insert\nfrom tracker.store.tables import outbox\n\n"
        "def sneak(conn, rows):\n    conn.execute(insert(outbox), rows)\n",
        "writes outbox (only tracker/store/outbox may)"),
    "an aliased table's update()": (
        "tracker/services/delivery.py",
        "from tracker.store.tables import outbox as T\n\n"
        "def sneak(conn):\n    conn.execute(T.update().values(state='sent'))\n",
        "writes outbox (only tracker/store/outbox may)"),
    "a delete through the tables module": (
        "tracker/services/compose.py",
        "from tracker.store import tables\n\ndef sneak(conn):\n    conn.execute(tables.outbox_copies.delete())\n",
        "writes outbox_copies (only tracker/store/outbox may)"),
    "an ORM outbox row": (
        "tracker/services/notices.py",
        "from tracker.store.models import OutboxMessage\n\ndef sneak(session):\n"
        "    session.add(OutboxMessage(key='k'))\n",
        "writes outbox (only tracker/store/outbox may)"),
    "raw SQL on the inbox in another store module": (
        "tracker/store/bulk.py",
        "SNEAK = 'UPDATE inbox SET state = 1'\n",
        "writes inbox (only tracker/store/inbox.py may)"),
    "a shell that writes units": (
        "tracker/cli/units.py",
        "from sqlalchemy import update\nfrom tracker.store.tables import units\n\n"
        "def sneak(conn):\n    conn.execute(update(units).values(name='x'))\n",
        "writes units (only the services and the store may)"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_write_outside_the_owner_fails_the_check(tmp_path, case):
    target, code, complaint = VIOLATIONS[case]
    shutil.copytree(REPO / "tracker", tmp_path / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    module = tmp_path / target
    text = module.read_text(encoding="utf-8") + "\n\n" + code
    module.write_text(text, encoding="utf-8")
    line = len(text.splitlines())  # each violation's write is its last line
    assert offenders(tmp_path) == [f"{target}:{line} {complaint}"]
