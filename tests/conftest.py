"""Shared fixtures: a migrated SQLite file per test, PostgreSQL when reachable,
a runtime, and a CLI runner that returns exit code, stdout and stderr."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.config import load_settings
from tracker.store.engine import Store
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime, parse_instant

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SEEDS = REPO.parent / "shared" / "seeds"
PG_URL = os.environ.get("TRACKER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

TEST_CONFIG = """\
[mail]
transport = "file"
outbox_dir = "{outbox}"
"""


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating takes ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store(f"sqlite:///{path}")
    init_db(Runtime(load_settings(None, environ={}), store, actor="tester"))
    store.dispose()
    return path


@pytest.fixture
def db_url(tmp_path, migrated_template) -> str:
    path = tmp_path / "tracker.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(TEST_CONFIG.format(outbox=tmp_path / "outbox"), encoding="utf-8")
    return path


@pytest.fixture
def settings(config_file):
    return load_settings(config_file, environ={})


@pytest.fixture
def rt(db_url, settings):
    store = Store(db_url)
    yield Runtime(settings, store, actor="tester")
    store.dispose()


def at(text: str, settings=None) -> datetime:
    """A local (Asia/Ho_Chi_Minh) instant from ISO text, as aware UTC."""
    from zoneinfo import ZoneInfo

    return parse_instant(text, ZoneInfo("Asia/Ho_Chi_Minh"))


def load_sample(rt: Runtime, now: datetime) -> None:
    from tracker.services.imports import import_plan, import_units

    import_units(rt, EXAMPLES / "units.csv", now)
    import_plan(rt, EXAMPLES / "hn-2021-43.yaml", now)


@dataclass
class Result:
    exit_code: int
    out: str
    err: str


@pytest.fixture
def cli(db_url, config_file, tmp_path, monkeypatch):
    """Run ``tracker --db <test db> --config <test config> ARGS`` in tmp_path."""
    from tracker.cli import cli as group

    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("TRACKER_") and key != "TRACKER_TEST_PG_URL":
            monkeypatch.delenv(key)

    def run(*args: str, db: str | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        result = runner.invoke(group, ["--db", db or db_url, "--config", str(config_file), *args], input=input,
                               catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


def _pg_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL not reachable at {url} ({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''})"


_PG_RAN: list[str] = []  # node ids of the tests that ran on PostgreSQL (for the summary line)


@pytest.fixture
def pg_url(request):
    """A fresh, empty PostgreSQL database for one test (dropped afterwards).

    Without a reachable server the test is skipped, with the reason; under CI
    (CI=true) it fails instead, so a CI run cannot pass by skipping PostgreSQL."""
    reason = _pg_reachable(PG_URL)
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(reason + "; set TRACKER_TEST_PG_URL")
    _PG_RAN.append(request.node.nodeid)
    import psycopg

    name = f"tracker_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many tests ran on PostgreSQL, so a run that skipped them shows it."""
    passed = {r.nodeid for r in terminalreporter.stats.get("passed", [])}
    ran = [n for n in _PG_RAN if n in passed]
    terminalreporter.write_line(f"PostgreSQL: {len(ran)} tests passed on {PG_URL}")
