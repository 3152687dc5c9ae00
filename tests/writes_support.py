"""The one-writer check (tests/test_one_writer.py): every write of a table in
the source of ``tracker/``, read as an AST, so it holds for code no test runs.

It sees ``insert``/``update``/``delete`` of a table (bound by name, by alias or through
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
from pathlib import Path

_WRITES = {"insert", "update", "delete", "insert_many", "update_many"}


def _relationships(root: Path) -> dict[tuple[str, str], str]:
    """(table, attribute) -> the table a relationship of store/models.py leads to
    (``Assignment.unit`` -> units; ``Plan.obligations`` -> obligations)."""
    tree = ast.parse((root / "tracker/store/models.py").read_text(encoding="utf-8"))
    _, models = tables_and_models(root)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in models:
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None
                        and (t := _mapped_words(item.annotation, models))):
                    found[(models[node.name], item.target.id)] = t[0]
    return found


def tables_and_models(root: Path) -> tuple[set[str], dict[str, str]]:
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


def bound_names(tree: ast.AST, tables: set[str], models: dict[str, str]):
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
    own = _returns_rows(tree, bound_names(tree, set(), dict(models))[2])
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


def row_writes(func: ast.AST, bound_models: dict[str, str], row_functions: dict[str, str],
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


def writes(path: Path, tables: set[str], models: dict[str, str], root: Path,
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
    bound_tables, modules, bound_models = bound_names(tree, tables, models)
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
                found += row_writes(node, bound_models, row_functions, relationships)
    return sorted(set(found))


def _inside(rel: str, folder: str) -> bool:
    return rel == folder or rel.startswith(folder.removesuffix(".py") + "/")


def offenders(root: Path, owners: dict[str, str]) -> list[str]:
    """``path:line writes table`` for each write outside the table's owner (``owners``: table -> module)."""
    tables, models = tables_and_models(root)
    relationships = _relationships(root)
    out = []
    for path in sorted((root / "tracker").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, table in writes(path, tables, models, root, relationships):
            if table not in owners:
                out.append(f"{rel}:{line} writes {table}, which has no owner")
            elif not _inside(rel, owners[table]):
                out.append(f"{rel}:{line} writes {table} (only {owners[table]} may)")
    return out
