"""One writer per table (docs/architecture.md): every table of
store/tables.py has one owner module in ``tracker/store/`` that alone writes
it (the outbox and its ``outbox_copies``: ``tracker/store/outbox/``; the
inbox: ``tracker/store/inbox.py``; units: ``tracker/store/units.py``; ...);
every other module, services included, calls the owner's named functions.

The check (tests/writes_support.py) reads the source (AST), so it holds for
code no test happens to run; it sees Core and raw-SQL writes, new ORM rows and
ORM attribute changes on the rows a function names (what it can and cannot see:
its docstring). Deliberate violations, one per owner, fail in a copy of the tree.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from tests.writes_support import bound_names, offenders as _offenders, row_writes, tables_and_models, writes

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


def offenders(root: Path) -> list[str]:
    """``path:line writes table`` for each write outside its owner in the tree at ``root``."""
    return _offenders(root, OWNERS)


def test_every_table_has_exactly_one_owner_in_the_store():
    tables, _ = tables_and_models(REPO)
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
    tables, models = tables_and_models(REPO)
    seen = {t for path in (REPO / "tracker").rglob("*.py") for _, t in writes(path, tables, models, REPO)}
    assert seen == set(OWNERS)


def test_the_check_sees_the_owners_orm_attribute_changes():
    # The owners set attributes of the rows the services hold: the check must see those writes.
    tables, models = tables_and_models(REPO)

    def seen(owner: str, function: str) -> set[str]:
        tree = ast.parse((REPO / owner).read_text(encoding="utf-8"))
        bound_models = bound_names(tree, tables, models)[2]
        func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
        return {t for _, t in row_writes(func, bound_models, {})}

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
