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
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError

from todo_contract.settings import Settings

WRITE_OPTION = "todo_write"
"""Execution option that marks a connection as one that will write (see ``Database.writes``)."""

SUPPORTED_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}


class DatabaseUnavailable(Exception):
    """The database cannot serve this request; the message says why and how to recover.

    (Defined here, not in ``todo_contract.errors``, which re-exports it: the command line
    imports this module to check the database before serving, and a start that fails there
    should not first import FastAPI.)"""


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
    backend = url.get_backend_name()
    connect_args = driver_connect_args(backend, settings)
    given = url.query.get("options")
    if "options" in connect_args and given:
        # The URL's own server options (a search_path, say) are kept, not replaced.
        given = given if isinstance(given, str) else " ".join(given)
        connect_args["options"] = f"{given} {connect_args['options']}"
    engine = create_engine(
        url, pool_pre_ping=True, pool_recycle=1800, connect_args=connect_args, **pool
    )
    if backend == "postgresql":
        _bound_psycopg_waits(engine, settings.database_read_timeout)
    return Database(engine, engine.execution_options(**{WRITE_OPTION: True}))


def driver_connect_args(backend: str, settings: Settings) -> dict[str, Any]:
    """The driver's connect arguments that bound every wait on a server that stops answering.

    A server that is frozen (SIGSTOP, a hung host) or cut off by a network partition never
    refuses anything: its kernel, or the silence of the network, keeps every request in
    flight waiting until TCP gives up, which takes minutes to hours. These arguments bound
    each step:

    - **connecting**: ``connect_timeout`` on both drivers (libpq counts whole seconds, at
      least 2; PyMySQL then reads the server's greeting under ``read_timeout``);
    - **PostgreSQL statements**: ``statement_timeout``, sent in ``options``, makes a healthy
      server cancel a statement (or a wait for a row lock) that runs too long, cleanly,
      keeping the connection. A stopped server enforces nothing, so it is no bound there;
    - **a partition**: TCP keepalives notice a silent peer while a connection waits, and
      ``tcp_user_timeout`` (ms) drops one whose sent data stays unacknowledged. Neither
      helps against a stopped server on a live host: its kernel acknowledges the data and
      answers the probes (measured: a ``SELECT 1`` on a stopped private server was still
      waiting after 20 s with both set to 1-2 s). What bounds a read there is
      ``_bound_psycopg_waits``, on the Python side;
    - **MariaDB reads and writes**: PyMySQL's ``read_timeout`` and ``write_timeout`` are
      socket timeouts in the client, so they bound a frozen server and a partition alike.
    """
    if backend == "postgresql":
        statement_ms = max(1, round(settings.database_statement_timeout * 1000))
        return {
            "connect_timeout": settings.database_connect_timeout,
            "options": f"-c statement_timeout={statement_ms}",
            "keepalives": 1,
            "keepalives_idle": settings.database_keepalives_idle,
            "keepalives_interval": settings.database_keepalives_interval,
            "keepalives_count": settings.database_keepalives_count,
            "tcp_user_timeout": max(1, round(settings.database_write_timeout * 1000)),
        }
    return {
        "connect_timeout": settings.database_connect_timeout,
        "read_timeout": settings.database_read_timeout,
        "write_timeout": settings.database_write_timeout,
    }


def _bound_psycopg_waits(engine: Engine, read_timeout: float) -> None:
    """Open psycopg connections whose every wait for the server ends after ``read_timeout``.

    psycopg 3 runs each operation (a query and its rows, a commit, the pool's ping) as one
    ``Connection.wait``, which takes a timeout but has none by default. The subclass gives it
    one; when it expires the operation's outcome is unknown, so the connection is closed (as
    psycopg itself does when a cancel goes unanswered) and an ``OperationalError`` raised.
    SQLAlchemy then sees a closed connection, invalidates the pool, and the request's error
    handler answers 503 ``Database unavailable``. The read timeout is longer than
    ``statement_timeout``, so on a healthy server the server's cancel always comes first.
    """
    connection_class = _bounded_connection_class()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = connection_class.connect(*cargs, **cparams)
        connection.read_timeout = read_timeout
        return connection


@cache
def _bounded_connection_class() -> Any:
    """The psycopg ``Connection`` subclass with a read timeout (psycopg is imported lazily:
    it is an optional dependency, needed only for PostgreSQL)."""
    import psycopg
    from psycopg import errors

    class BoundedConnection(psycopg.Connection[Any]):
        """A psycopg connection that never waits longer than ``read_timeout`` for the server."""

        read_timeout: float | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            bound = timeout if timeout is not None else self.read_timeout
            try:
                return super().wait(gen, interval, bound)
            except errors._WaitTimeout:
                # Mid-operation and unanswered: nothing more can be said on this connection.
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the server did not answer within {bound:g} s; connection closed"
                ) from None

    return BoundedConnection


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
    writes = engine.execution_options(**{WRITE_OPTION: True})
    guard = guard_sqlite_file(engine, path, settings)
    write_immediately(writes, guard)
    return Database(engine, writes, guard)


def guard_sqlite_file(engine: Engine, path: Path, settings: Settings) -> SqliteFileGuard:
    """Set the pragmas on every new connection and check the file at connect and checkout.

    ``engine`` is a sync ``Engine``, or an ``AsyncEngine``'s ``sync_engine``: the asyncio
    flavour of each app (aiosqlite) gets the same connections, with the same checks.
    """
    guard = SqliteFileGuard(path)

    @event.listens_for(engine, "do_connect")
    def _refuse_lost_file(*_: Any) -> None:
        guard.check()

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # No implicit transactions from the driver: reads autocommit, writes BEGIN IMMEDIATE.
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

    return guard


def write_immediately(writes: Engine, guard: SqliteFileGuard) -> None:
    """Begin every transaction on ``writes`` with ``BEGIN IMMEDIATE``, checking the file at its
    start and before its commit. The statement goes straight to the driver's connection (the
    DBAPI one, or aiosqlite's adapter of it), so no statement event counts it; an error there
    (the lock still held by another process after the busy timeout) is raised as SQLAlchemy's
    ``OperationalError``, as any statement's would be, so the request gets its 503."""

    @event.listens_for(writes, "begin")
    def _begin_immediate(connection: Any) -> None:
        guard.check()
        try:
            connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc

    @event.listens_for(writes, "commit")
    def _check_before_commit(_connection: Any) -> None:
        guard.check()
