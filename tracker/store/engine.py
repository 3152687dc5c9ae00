"""Engine and sessions.

SQLite is set up for a daemon writing while a CLI reads: WAL (readers never
block the writer), a busy timeout, foreign keys on, and write transactions
that take the write lock up front (``BEGIN IMMEDIATE``) so two writers queue
on the busy timeout instead of failing half-way with "database is locked".
The database file is created with mode 0600: it holds e-mail addresses.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from tracker.config import private_dir
from tracker.core.errors import StoreError

if TYPE_CHECKING:  # the ORM is imported by the sessions that use it; reader() works without it
    from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Accept a plain ``postgresql://`` URL and use psycopg 3 for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str, *, create: bool = True) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception:
        raise StoreError(f"database URL {redact(url)!r} is not a valid SQLAlchemy URL") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, create=create)
    timeout = parsed.query.get("connect_timeout")
    if timeout is not None and not (isinstance(timeout, str) and timeout.strip().isdigit()):
        raise StoreError(f"database URL {redact(url)!r}: connect_timeout must be a whole number of seconds, "
                         f"not {timeout!r}")
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except Exception as exc:  # missing driver, bad dialect
        raise StoreError(f"cannot use database {redact(url)}: {exc}") from None


def _sqlite_engine(url: str, *, create: bool = True) -> Engine:
    path = sqlite_path(url)
    if path is not None and create:
        private_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own
        # transaction handling would defer it and break BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("tracker_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


class NotInitialised(StoreError):
    """The database answers but ``tracker init`` was never run: waiting will not help."""


class Store:
    """The database: sessions for reading and for writing."""

    def __init__(self, url: str, engine: Engine | None = None, *, create: bool = True) -> None:
        """``create=False``: a SQLite file that does not exist is not created (a
        reading command on a mistyped path leaves nothing behind)."""
        self.url = normalise_url(url)
        path = sqlite_path(self.url) if not create else None
        self.missing = path is not None and not path.exists()
        self.engine = engine or make_engine(self.url, create=create)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_engine = self.engine.execution_options(tracker_begin="IMMEDIATE")

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        from sqlalchemy.orm import Session

        with Session(self._write_engine, expire_on_commit=False) as session:
            with _store_errors(self.url):
                with session.begin():
                    yield session

    @contextmanager
    def writer(self) -> Iterator[Connection]:
        """A bare connection whose transactions (``with conn.begin():``) write, for
        loops of prepared Core statements such as the outbox's one transaction per
        message: one pool checkout for the loop, and no ORM session per
        transaction (each cost more than the statements themselves)."""
        with _store_errors(self.url):
            with self._write_engine.connect() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session:
            with _store_errors(self.url):
                with session.begin():
                    yield session

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection in one read transaction, for Core queries over ``tables``:
        read-only commands such as ``tracker status`` never import the ORM."""
        with _store_errors(self.url):
            with self.engine.connect() as conn, conn.begin():
                yield conn

    def require_schema(self) -> None:
        """Fail with a clear message when ``tracker init`` has not been run."""
        if self.missing:  # connecting would create the file
            raise NotInitialised(f"database {redact(self.url)} does not exist: run `tracker init` first "
                                 "(or check --db)")
        with _store_errors(self.url):
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    raise NotInitialised(f"database {redact(self.url)} is not initialised: run `tracker init` first")

    def dispose(self) -> None:
        self.engine.dispose()


def store_errors(url: str):
    """A database that cannot be reached (or refuses) as one ``StoreError`` line."""
    return _store_errors(url)


@contextmanager
def _store_errors(url: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        if detail in ("database is locked", "database table is locked"):
            # SQLite's busy timeout ran out: another process (a long import, say) holds the write lock.
            raise StoreError(f"database {redact(url)} is busy: another command is writing to it "
                             f"(waited {SQLITE_BUSY_TIMEOUT_MS / 1000:g} s); nothing was changed, retry in a moment") from None
        raise StoreError(f"database {redact(url)}: {detail}") from None
