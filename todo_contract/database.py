"""The database handle of an app: one engine tuned per backend, the same for every variant.

One ``Database`` per app, with one engine and one pool. Requests that write use its
``writes`` view of the same engine and pool, which on SQLite opens its transaction with
``BEGIN IMMEDIATE``: a writer takes the write lock up front instead of upgrading a read lock
mid-transaction, which is what turns concurrent SQLite writers into "database is locked"
errors. Reads autocommit and, thanks to WAL, never wait for a writer.

The handle is the one place that choice lives: each app's ``db.py`` opens its Session or
Connection from it with one function, which its request dependency and the benchmark's rung
both call, so the benchmark cannot drift from the app.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url

from todo_contract.errors import DatabaseUnavailable
from todo_contract.settings import Settings

WRITE_OPTION = "todo_write"
"""Execution option that marks a connection as one that will write (see ``Database.writes``)."""

SUPPORTED_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}

BACKEND_ALIASES = {"postgres": "postgresql"}
"""Schemes people commonly write for a supported backend (SQLAlchemy itself refuses them)."""


def normalize_url(database_url: str) -> URL:
    """Parse a database URL, choosing this project's driver when the URL names none.

    ``postgresql://`` (and ``postgres://``, as Heroku and many guides write it) becomes
    ``postgresql+psycopg://`` and ``mysql://``/``mariadb://`` use PyMySQL; MySQL-family URLs
    get ``charset=utf8mb4`` so emoji survive.
    """
    url = make_url(database_url)
    backend = BACKEND_ALIASES.get(url.get_backend_name(), url.get_backend_name())
    if backend not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database {backend!r}: use sqlite:///path, "
            "postgresql+psycopg://… or mysql+pymysql://…"
        )
    url = url.set(drivername=f"{backend}+{SUPPORTED_DRIVERS[backend]}")
    if backend in ("mysql", "mariadb") and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError(
            "SQLite needs a file (sqlite:///path/to/todos.db), not an in-memory database"
        )
    return url


def redact(database_url: str | URL) -> str:
    """The URL with its password masked, fit for logs and error messages."""
    return make_url(database_url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Database:
    """An app's database: the engine, its write view (same pool) and, for SQLite, the guard."""

    engine: Engine
    writes: Engine
    guard: SqliteFileGuard | None = None

    def engine_for(self, *, write: bool) -> Engine:
        """The engine a unit of work uses: ``writes`` when it will write, else ``engine``."""
        return self.writes if write else self.engine

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(database_url: str, settings: Settings | None = None) -> Database:
    """The handle an app serves from, with pool and driver settings for its backend."""
    settings = settings or Settings()
    url = normalize_url(database_url)
    pool: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.pool_max_overflow,
        "pool_timeout": settings.pool_timeout,
    }
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            **pool,
        )
        return _tune_sqlite(engine, Path(url.database or ""), settings)
    # A server can restart under us: test each pooled connection before use, and
    # recycle connections before MariaDB's wait_timeout closes them from its side.
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    engine = create_engine(
        url, pool_pre_ping=True, pool_recycle=1800, connect_args=connect_args, **pool
    )
    return Database(engine, engine.execution_options(**{WRITE_OPTION: True}))


class SqliteFileGuard:
    """Notices when the database file is deleted or replaced while the app runs.

    An open SQLite connection keeps writing into a deleted file without complaint, and a new
    connection would silently create an empty database at the same path. Both would make the
    app acknowledge writes that are lost. The guard remembers the file's identity (device and
    inode) when the first connection opens it; every connect and every checkout from the
    pool checks it, and so does every write transaction, at its start and before its commit.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self._identity: tuple[int, int] | None = None

    def remember(self) -> None:
        """Record the identity of the file the first connection opened."""
        if self._identity is None:
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)

    def problem(self) -> str | None:
        """Why the file is no longer the one the app opened, or None when it still is."""
        if self._identity is None:
            return None
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return f"the SQLite database file {self.path} was deleted while the app was running"
        if (stat.st_dev, stat.st_ino) != self._identity:
            return f"the SQLite database file {self.path} was replaced while the app was running"
        return None

    def check(self) -> None:
        """Raise DatabaseUnavailable, with how to recover, if the file is gone or replaced."""
        problem = self.problem()
        if problem is not None:
            raise DatabaseUnavailable(
                f"{problem}; restore the file or restart the app to create and migrate a new one"
            )


def _tune_sqlite(engine: Engine, path: Path, settings: Settings) -> Database:
    """Pragmas, the file guard, and IMMEDIATE write transactions.

    Reads carry no engine-level event listener on purpose: any listener on an engine makes
    SQLAlchemy dispatch events around every statement it runs. Reads run in pysqlite's
    autocommit mode (each request's one SELECT is its own consistent snapshot in WAL); the
    guard runs at pool checkout, a pool event, which costs one ``stat`` per request.
    """
    guard = SqliteFileGuard(path)
    writes = engine.execution_options(**{WRITE_OPTION: True})

    @event.listens_for(engine, "do_connect")
    def _refuse_lost_file(*_: Any) -> None:
        guard.check()

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # No implicit transactions from pysqlite: reads autocommit, writes BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL survives a crash of the process; a power loss may undo the last
        # commits (never corrupt the file). FULL would fsync on every commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        guard.remember()

    @event.listens_for(engine, "checkout")
    def _check_on_checkout(*_: Any) -> None:
        guard.check()

    @event.listens_for(writes, "begin")
    def _begin_immediate(connection: Any) -> None:
        guard.check()
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(writes, "commit")
    def _check_before_commit(_connection: Any) -> None:
        guard.check()

    return Database(engine, writes, guard)
