"""The store: migrations agree with the models on SQLite and PostgreSQL,
init is idempotent, SQLite is set up for a daemon and a CLI at once."""

import os
import stat
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tracker.config import load_settings
from tracker.store.engine import Store
from tracker.store.models import Base, Unit
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime
from tests.conftest import at


def migrated(url):
    store = Store(url)
    init_db(Runtime(load_settings(None, environ={}), store, actor="tester"))
    return store


def differences(store):
    with store.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_migrations_match_the_models_on_sqlite(tmp_path):
    store = migrated(f"sqlite:///{tmp_path}/m.db")
    assert differences(store) == []


def test_migrations_match_the_models_on_postgresql(pg_url):
    store = migrated(pg_url)
    assert differences(store) == []
    store.dispose()


def test_plain_postgresql_url_uses_psycopg3(pg_url):
    store = Store(pg_url)
    assert store.engine.dialect.driver == "psycopg"
    store.dispose()


def test_init_twice_says_up_to_date(cli, tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    first = cli("init", db=url)
    assert first.out == f"database {url} upgraded from empty to revision 0001\n" or "upgraded from empty" in first.out
    second = cli("init", db=url)
    assert second.exit_code == 0 and "is up to date" in second.out


def test_commands_on_an_uninitialised_database_say_run_init(cli, tmp_path):
    (tmp_path / "empty.db").touch()  # a file that exists but holds no schema (a missing one: test_small_ones)
    result = cli("status", db=f"sqlite:///{tmp_path}/empty.db")
    assert (result.exit_code, result.err) == (
        1, f"error: database sqlite:///{tmp_path}/empty.db is not initialised: run `tracker init` first\n")


def test_unreachable_postgresql_is_one_line(cli):
    result = cli("status", db="postgresql://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1
    assert result.err.startswith("error: database postgresql+psycopg://nobody@127.0.0.1:1/none: ")
    assert result.err.count("\n") == 1


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path):
    store = migrated(f"sqlite:///{tmp_path}/p.db")
    assert stat.S_IMODE(os.stat(tmp_path / "p.db").st_mode) == 0o600
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_writer_commits_while_a_reader_holds_a_transaction(tmp_path):
    store = migrated(f"sqlite:///{tmp_path}/w.db")
    now = at("2021-01-01T08:00")
    with store.read() as reader:
        reader.execute(text("SELECT count(*) FROM units")).scalar()
        done = threading.Event()

        def write():
            with store.write() as session:
                session.add(Unit(code="x", name="X", emails=["x@x.vn"], status="active", created_at=now,
                                 updated_at=now))
            done.set()

        worker = threading.Thread(target=write)
        worker.start()
        worker.join(timeout=10)
        assert done.is_set()  # WAL: the reader does not block the writer


def test_naive_datetimes_are_rejected_by_the_store(tmp_path):
    from datetime import datetime

    store = migrated(f"sqlite:///{tmp_path}/n.db")
    with pytest.raises(Exception, match="naive datetime"):
        with store.write() as session:
            session.add(Unit(code="x", name="X", emails=[], status="active", created_at=datetime(2021, 1, 1),
                             updated_at=datetime(2021, 1, 1)))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_to_0009_keeps_every_decision_and_every_message_link(backend, tmp_path, request):
    """0009 drops decisions' foreign key to assignments: SQLite rebuilds the table, and its
    DROP TABLE would cascade into outbox_copies (a link per further message carrying a stage)."""
    from alembic import command

    from tests.conftest import load_sample
    from tracker.services.catalog import alembic_config
    from tracker.services.tick import tick

    url = f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(url)
    with store.engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008_next_action_index")
    rt = Runtime(load_settings(None, environ={}), store, actor="tester")
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-17T08:00"), deliver=False)
    with store.engine.begin() as conn:  # a stage carried by a second message, as `resolved` is
        conn.execute(text("INSERT INTO outbox_copies (outbox_id, decision_id) "
                          "SELECT max(o.id), min(d.id) FROM outbox o, decisions d"))

    def rows():
        with store.engine.connect() as conn:
            return [conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2")).all()
                    for t in ("decisions", "outbox_copies")]

    before = rows()
    assert len(before[0]) == 128 and len(before[1]) == 1
    init_db(rt)
    assert rows() == before
    assert differences(store) == []
    store.dispose()
