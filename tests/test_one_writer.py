"""One writer per table (docs/architecture.md): every table of
store/tables.py has one owner module in ``tracker/store/`` that alone writes
it (the outbox and its ``outbox_copies``: ``tracker/store/outbox/``; the
inbox: ``tracker/store/inbox.py``; units: ``tracker/store/units.py``; ...);
every other module, services included, calls the owner's named functions.

The check reads the source (AST), so it holds for code no test happens to run,
and it fails on deliberate violations in a copy of the tree. It sees:
``insert``/``update``/``delete`` of a table (bound by name, by alias or through
the tables module) or of an ORM class, ``bulk.insert_many/update_many``, raw SQL
(``INSERT INTO t``, ``UPDATE t SET``, ``DELETE FROM t``), a new ORM row
(``Unit(...)``), and ORM attribute changes on a mapped row: ``row.col = ...``
(plain, augmented, in a tuple), ``setattr(row, ...)`` and ``session.delete(row)``,
where ``row`` is a name the same function binds to a mapped class: a parameter
annotated with it, or a name assigned or looped over from an expression naming
the class (``session.get(Unit, id)``, ``select(Assignment)``), a row name, or a
function annotated to return the class (``-> Assignment``, ``-> list[Submission]``,
defined in the module or imported from another); also on a row reached from one
through a relationship of store/models.py (``a.unit.status = ...``) or by
subscript (``rows[0].state = ...``).

It cannot see a row it cannot name that way: one passed as an unannotated
parameter, returned by an unannotated function, or taken from a container by
other means (``next(iter(rows))``); nor ``session.merge``, ``Query.update`` or a
write through ``getattr``/``exec``.
"""

from __future__ import annotations

import ast
import functools
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# table -> the module (or package) that alone may write it
OWNERS = {
    "outbox": "tracker/store/outbox",
    "outbox_copies": "tracker/store/outbox",
    "inbox": "tracker/store/inbox.py",
    "units": "tracker/store/units.py",
    "plans": "tracker/store/plans.py",
    "obligations": "tracker/store/obligations.py",
    "assignments": "tracker/store/assignments.py",
    "submissions": "tracker/store/submissions.py",
    "submission_files": "tracker/store/submissions.py",
    "waivers": "tracker/store/waivers.py",
    "audit_log": "tracker/store/audit.py",
    "decisions": "tracker/store/decisions.py",
}
_WRITES = {"insert", "update", "delete", "insert_many", "update_many"}


def _relationships(root: Path) -> dict[tuple[str, str], str]:
    """(table, attribute) -> the table a relationship of store/models.py leads to
    (``Assignment.unit`` -> units; ``Plan.obligations`` -> obligations)."""
    tree = ast.parse((root / "tracker/store/models.py").read_text(encoding="utf-8"))
    _, models = _tables(root)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in models:
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None
                        and (t := _mapped_words(item.annotation, models))):
                    found[(models[node.name], item.target.id)] = t[0]
    return found


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


def _mapped_words(node: ast.AST | None, bound_models: dict[str, str]) -> list[str]:
    """The tables of the ORM classes an annotation names, in source order
    (``"Assignment"``, ``list[Submission]``, ``Unit | None``)."""
    if node is None:
        return []
    text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ast.unparse(node)
    return [bound_models[w] for w in re.findall(r"[A-Za-z_]\w*", text) if w in bound_models]


def _returns_rows(tree: ast.AST, bound_models: dict[str, str]) -> dict[str, str]:
    """The module's functions annotated to return an ORM class: name -> its table."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (t := _mapped_words(node.returns, bound_models)):
            found.setdefault(node.name, t[0])
    return found


def _module_path(root: Path, module: str) -> Path | None:
    base = root / Path(*module.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()), None)


@functools.lru_cache(maxsize=None)
def _parse(text: str) -> ast.Module:
    """A module's tree, once per text: the deliberate violations rescan copies
    of the tree in which one module differs."""
    return ast.parse(text)


@functools.lru_cache(maxsize=None)
def _module_facts(text: str, models: tuple[tuple[str, str], ...]):
    """The row functions a module defines, and what it imports from the tree."""
    tree = _parse(text)
    own = _returns_rows(tree, _bound(tree, set(), dict(models))[2])
    imports = tuple((node.module, alias.name, alias.asname or alias.name) for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tracker.")
                    for alias in node.names)
    return own, imports


def _row_functions(root: Path, text: str, models: dict[str, str]) -> dict[str, str]:
    """The functions callable by name in a module that return ORM rows: its own,
    and those it imports from another module of the tree."""
    key = tuple(sorted(models.items()))
    own, imports = _module_facts(text, key)
    found = dict(own)
    for module, name, bound in imports:
        source = _module_path(root, module)
        if source is not None and (t := _module_facts(source.read_text(encoding="utf-8"), key)[0].get(name)):
            found[bound] = t
    return found


def _row_writes(func: ast.AST, bound_models: dict[str, str], row_functions: dict[str, str],
                relationships: dict[tuple[str, str], str] | None = None) -> list[tuple[int, str]]:
    """(line, table) of each ORM attribute change on a row that ``func`` names."""
    rows: dict[str, str] = {}
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if t := _mapped_words(arg.annotation, bound_models):
            rows[arg.arg] = t[0]

    def table_in(expr: ast.AST) -> str | None:
        """The table of the first ORM class, row or row function the expression names."""
        names = sorted((n for n in ast.walk(expr) if isinstance(n, ast.Name)), key=lambda n: (n.lineno, n.col_offset))
        for n in names:
            t = bound_models.get(n.id) or rows.get(n.id) or row_functions.get(n.id)
            if t:
                return t
        return None

    bindings = []  # (target name, value) in source order
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    bindings.append((t.id, node.value))
                elif isinstance(t, ast.Tuple):  # returned, accepted = _accepted(session, a), True
                    pairs = (zip(t.elts, node.value.elts) if isinstance(node.value, ast.Tuple)
                             and len(node.value.elts) == len(t.elts) else ((e, node.value) for e in t.elts))
                    bindings += [(e.id, v) for e, v in pairs if isinstance(e, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
            bindings.append((node.target.id, node.value))
            if isinstance(node, ast.AnnAssign) and (t := _mapped_words(node.annotation, bound_models)):
                rows[node.target.id] = t[0]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(node.target, ast.Name):
            bindings.append((node.target.id, node.iter))
    for _ in range(3):  # a name bound from a row name bound later in the walk
        for name, value in bindings:
            if name not in rows and (t := table_in(value)):
                rows[name] = t

    def table_of_row(expr: ast.AST) -> str | None:
        """``a`` (a row name), ``rows[0]`` (an element of one), ``a.unit`` (a relationship of one)."""
        if isinstance(expr, ast.Name):
            return rows.get(expr.id)
        if isinstance(expr, ast.Subscript):
            return table_of_row(expr.value)
        if isinstance(expr, ast.Attribute) and (owner := table_of_row(expr.value)):
            return (relationships or {}).get((owner, expr.attr))
        return None

    def row_of(target: ast.AST) -> str | None:
        return table_of_row(target.value) if isinstance(target, ast.Attribute) else None

    found = []
    for node in ast.walk(func):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in ("setattr", "delete") and node.args and (t := table_of_row(node.args[0])):
                found.append((node.lineno, t))  # setattr(unit, k, v), session.delete(a)
        flat = []
        for t in targets:
            flat += t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
        found += [(node.lineno, t) for t in map(row_of, flat) if t]
    return found


def _writes(path: Path, tables: set[str], models: dict[str, str], root: Path = REPO,
            relationships: dict[tuple[str, str], str] | None = None) -> list[tuple[int, str]]:
    """(line, table) of every write of a table in one module."""
    text = path.read_text(encoding="utf-8")
    return _scan(text, frozenset(tables), tuple(sorted(models.items())),
                 tuple(sorted(_row_functions(root, text, models).items())),
                 tuple(sorted((relationships or {}).items())))


@functools.lru_cache(maxsize=None)
def _scan(text: str, tables: frozenset[str], models_: tuple, row_functions_: tuple, relationships_: tuple):
    models, row_functions, relationships = dict(models_), dict(row_functions_), dict(relationships_)
    tree = _parse(text)
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
    if bound_models or row_functions:  # ORM attribute changes: a module that can name no row holds none
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += _row_writes(node, bound_models, row_functions, relationships)
    return sorted(set(found))


def _inside(rel: str, folder: str) -> bool:
    return rel == folder or rel.startswith(folder.removesuffix(".py") + "/")


def offenders(root: Path) -> list[str]:
    """``path:line writes table`` for each write outside the table's owner."""
    tables, models = _tables(root)
    relationships = _relationships(root)
    out = []
    for path in sorted((root / "tracker").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, table in _writes(path, tables, models, root, relationships):
            if table not in OWNERS:
                out.append(f"{rel}:{line} writes {table}, which has no owner")
            elif not _inside(rel, OWNERS[table]):
                out.append(f"{rel}:{line} writes {table} (only {OWNERS[table]} may)")
    return out


def test_every_table_has_exactly_one_owner_in_the_store():
    tables, _ = _tables(REPO)
    assert set(OWNERS) == tables  # a new table needs its owner here (a dict: one each)
    for owner in set(OWNERS.values()):
        assert owner.startswith("tracker/store/") and (REPO / owner).exists(), owner


def test_each_table_is_written_only_by_its_owner():
    assert offenders(REPO) == []


def test_each_queue_table_is_written_only_by_its_store_module():
    queues = ("outbox", "outbox_copies", "inbox")
    assert [o for o in offenders(REPO) if o.split(" writes ")[1].split()[0].rstrip(",") in queues] == []


def test_no_shell_core_renderer_or_transport_writes_a_table():
    assert [o for o in offenders(REPO) if not o.startswith(("tracker/services/", "tracker/store/"))] == []


def test_the_check_sees_the_writes_that_are_allowed():
    # It would pass vacuously if it recognised no write at all.
    tables, models = _tables(REPO)
    seen = {t for path in (REPO / "tracker").rglob("*.py") for _, t in _writes(path, tables, models)}
    assert seen == set(OWNERS)


def test_the_check_sees_the_owners_orm_attribute_changes():
    # The owners set attributes of the rows the services hold: the check must see those writes.
    tables, models = _tables(REPO)

    def seen(owner: str, function: str) -> set[str]:
        tree = ast.parse((REPO / owner).read_text(encoding="utf-8"))
        bound_models = _bound(tree, tables, models)[2]
        func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
        return {t for _, t in _row_writes(func, bound_models, {})}

    assert seen("tracker/store/assignments.py", "waive") == {"assignments"}  # a tuple of attributes
    assert seen("tracker/store/units.py", "update_from_file") == {"units"}  # setattr, and attributes
    assert seen("tracker/store/submissions.py", "accept") == {"submissions"}  # rows looped over
    assert seen("tracker/store/obligations.py", "retire") == {"obligations"}
    assert seen("tracker/store/plans.py", "update_from_file") == {"plans"}


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
        "writes units (only tracker/store/units.py may)"),
    "a service's attribute change on an annotated assignment": (
        "tracker/services/records.py",
        "from tracker.store.models import Assignment\n\ndef sneak(a: Assignment):\n    a.state = 'open'\n",
        "writes assignments (only tracker/store/assignments.py may)"),
    "a tuple of attributes of assignments looped over": (
        "tracker/services/undo.py",
        "from sqlalchemy import select\nfrom tracker.store.models import Assignment\n\ndef sneak(session):\n"
        "    for a in session.scalars(select(Assignment)):\n        a.state, a.updated_at = 'open', None\n",
        "writes assignments (only tracker/store/assignments.py may)"),
    "the tick's bulk update of assignments in another owner": (
        "tracker/store/decisions.py",
        "from tracker.store.tables import assignments\n\ndef sneak(conn, moves):\n"
        "    bulk.update_many(conn, assignments, ('next_action_at',), ('id',), moves)\n",
        "writes assignments (only tracker/store/assignments.py may)"),
    "a unit changed through an assignment's relationship": (
        "tracker/services/status.py",
        "from sqlalchemy import select\nfrom tracker.store.models import Assignment\n\ndef sneak(session, ids):\n"
        "    found = session.scalars(select(Assignment).where(Assignment.id.in_(ids))).all()\n"
        "    found[0].unit.status = 'retired'\n",
        "writes units (only tracker/store/units.py may)"),
    "setattr on a unit an imported function returns": (
        "tracker/services/links.py",
        "from tracker.services.status import unit_or_fail\n\ndef sneak(session):\n"
        "    u = unit_or_fail(session, 'X')\n    setattr(u, 'name', 'y')\n",
        "writes units (only tracker/store/units.py may)"),
    "an augmented assignment on a plan": (
        "tracker/services/catalog.py",
        "from tracker.store.models import Plan\n\ndef sneak(session):\n"
        "    plan = session.get(Plan, 1)\n    plan.year += 1\n",
        "writes plans (only tracker/store/plans.py may)"),
    "raw SQL on obligations in a service": (
        "tracker/services/materialise.py",
        "SNEAK = 'UPDATE obligations SET retired = 1'\n",
        "writes obligations (only tracker/store/obligations.py may)"),
    "a submission deleted through the session": (
        "tracker/services/weekly.py",
        "from tracker.store.models import Submission\n\ndef sneak(session):\n"
        "    sub = session.get(Submission, 1)\n    session.delete(sub)\n",
        "writes submissions (only tracker/store/submissions.py may)"),
    "a shell that adds a submission's file": (
        "tracker/cli/undo.py",
        "from tracker.store.models import SubmissionFile\n\ndef sneak(session):\n"
        "    session.add(SubmissionFile(name='x'))\n",
        "writes submission_files (only tracker/store/submissions.py may)"),
    "a waiver deleted by a service": (
        "tracker/services/units.py",
        "from sqlalchemy import delete\nfrom tracker.store.models import Waiver\n\ndef sneak(session):\n"
        "    session.execute(delete(Waiver))\n",
        "writes waivers (only tracker/store/waivers.py may)"),
    "an audit entry added by the audit service": (
        "tracker/services/audit.py",
        "from tracker.store.models import AuditEntry\n\ndef sneak(session):\n    session.add(AuditEntry(action='x'))\n",
        "writes audit_log (only tracker/store/audit.py may)"),
    "decisions inserted in bulk by a service": (
        "tracker/services/delivery.py",
        "from tracker.store import bulk\nfrom tracker.store.tables import decisions\n\ndef sneak(conn, rows):\n"
        "    bulk.insert_many(conn, decisions, ('stage',), rows)\n",
        "writes decisions (only tracker/store/decisions.py may)"),
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
