"""A mass import on PostgreSQL leaves the planner statistics of what it created."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import at, load_sample
from tracker.services import imports
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime
from tracker.store.engine import Store


def _analysed(rt: Runtime) -> float:
    with rt.store.reader() as conn:  # -1: never analysed (PostgreSQL 14+)
        return conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'assignments'"))


def _imported(pg_url, settings, monkeypatch, threshold: int) -> float:
    monkeypatch.setattr(imports, "MASS_IMPORT", threshold)
    rt = Runtime(settings, Store(pg_url), actor="tester")
    try:
        init_db(rt)
        load_sample(rt, at("2021-02-01T09:00"))
        return _analysed(rt)
    finally:
        rt.store.dispose()


def test_a_mass_import_refreshes_the_planners_statistics_on_postgresql(pg_url, settings, monkeypatch):
    # The sample plan creates a few dozen assignments: a "mass" import here.
    assert _imported(pg_url, settings, monkeypatch, threshold=1) > 0


def test_a_small_import_leaves_the_statistics_to_autovacuum(pg_url, settings, monkeypatch):
    assert _imported(pg_url, settings, monkeypatch, threshold=10**9) == -1
