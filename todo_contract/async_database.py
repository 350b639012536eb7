"""The database handle of the asyncio flavour of each app: the same choices on async drivers.

``python -m orm_app --async`` and ``python -m core_app --async`` take the same
``--database-url`` as the sync apps; the async driver is chosen from it:

- **SQLite: aiosqlite.** Each connection runs in a thread of its own; the pragmas, the file
  guard and ``BEGIN IMMEDIATE`` writes are those of the sync app (``todo_contract.database``),
  set on the async engine's ``sync_engine``.
- **PostgreSQL: asyncpg**, the driver async users choose. ``timeout`` bounds connecting,
  ``statement_timeout`` is sent as a server setting, and ``command_timeout`` bounds every
  wait for an answer (a query, a commit, the pool's ping), the role the read timeout plays
  for psycopg in the sync app.
- **MariaDB: aiomysql**, PyMySQL's protocol code on asyncio: the same wire protocol, error
  numbers and conversions as the sync app's driver, so the async/sync ratio on MariaDB
  measures asyncio, not another driver's protocol code (asyncmy, the other choice, is
  PyMySQL rewritten in Cython). aiomysql has no read timeout of its own; ``BoundedAiomysql``
  adds one.

Migrations stay synchronous: the lifespan runs Alembic with the sync driver in a worker thread
before serving (``todo_contract.app.async_database_lifespan``), so Alembic, the tutorial's
adoption and the drift check are exactly the sync apps' code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from todo_contract.database import (
    WRITE_OPTION,
    SqliteFileGuard,
    guard_sqlite_file,
    normalize_url,
    write_immediately,
)
from todo_contract.settings import Settings

ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}
"""The driver the asyncio flavour uses for each backend of ``normalize_url``."""


def async_url(database_url: str, *, driver: str | None = None) -> URL:
    """``database_url`` as the sync apps read it, on the backend's async driver (or
    ``driver``: the benchmark's psycopg-async rung)."""
    url = normalize_url(database_url)
    backend = url.get_backend_name()
    return url.set(drivername=f"{backend}+{driver or ASYNC_DRIVERS[backend]}")


def _timeouts_drop_the_connection(engine: AsyncEngine, read_timeout: float) -> None:
    """asyncpg ends a wait past ``command_timeout`` with a bare ``TimeoutError``, which
    SQLAlchemy does not translate: here it invalidates the connection (its state is unknown)
    and becomes an ``OperationalError``, the 503 of a server that does not answer, as with
    psycopg. A timeout in the pool's ping comes out of the pool as ``TimeoutError`` itself,
    after the pool has discarded the connection; the apps answer it with the same 503
    (``todo_contract.errors``)."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _lost(context: ExceptionContext) -> BaseException | None:
        if not isinstance(context.original_exception, TimeoutError):
            return None
        context.is_disconnect = True
        why = TimeoutError(f"the server did not answer within {read_timeout:g} s")
        return OperationalError(context.statement, context.parameters, why)


@dataclass(frozen=True)
class AsyncDatabase:
    """An async app's database: the engine, its write view (same pool) and, for SQLite, the
    guard; ``todo_contract.database.Database`` on asyncio."""

    engine: AsyncEngine
    writes: AsyncEngine
    guard: SqliteFileGuard | None = None
    writers: asyncio.Lock | None = None
    """SQLite only: the lock the app's writers take turns on (``turn``)."""

    def engine_for(self, *, write: bool) -> AsyncEngine:
        """The engine a unit of work uses: ``writes`` when it will write, else ``engine``."""
        return self.writes if write else self.engine

    @asynccontextmanager
    async def turn(self, *, write: bool) -> AsyncIterator[None]:
        """Hold a writing unit of work until the app's other SQLite writers are done.

        SQLite lets one writer at a time hold its lock; the others wait in its busy handler,
        in their driver threads, for up to the busy timeout. In the sync app the writer that
        holds the lock runs on a thread of its own and finishes quickly. On asyncio it needs
        the event loop between its statements, and under a burst the loop is busy serving
        everyone else: measured with 256 clients, writers waited out the 5 s busy timeout
        ("database is locked"). So writers queue here, on the loop, holding nothing, and the
        one holding the lock never waits for the file. Reads never take a turn (WAL), nor
        does anything on PostgreSQL or MariaDB, whose row locks are finer.
        """
        if write and self.writers is not None:
            async with self.writers:
                yield
        else:
            yield

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def open_async_database(
    database_url: str, settings: Settings | None = None, *, driver: str | None = None
) -> AsyncDatabase:
    """The handle an async app serves from: the sync app's pool settings, async drivers."""
    settings = settings or Settings()
    url = async_url(database_url, driver=driver)
    pool: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.pool_max_overflow,
        "pool_timeout": settings.pool_timeout,
    }
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = create_async_engine(
            url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}, **pool
        )
        writes = engine.execution_options(**{WRITE_OPTION: True})
        guard = guard_sqlite_file(engine.sync_engine, Path(url.database or ""), settings)
        write_immediately(writes.sync_engine, guard)
        return AsyncDatabase(engine, writes, guard, asyncio.Lock())
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 1800, **pool}
    if url.get_driver_name() == "asyncpg":
        url, options["connect_args"] = asyncpg_connect_args(url, settings)
    elif url.get_driver_name() == "aiomysql":
        options["async_creator"] = _bounded_aiomysql(url, settings)
    else:  # psycopg's async mode, a benchmark rung: the sync app's connect arguments
        from todo_contract.database import driver_connect_args

        options["connect_args"] = driver_connect_args(backend, settings)
    engine = create_async_engine(url, **options)
    if url.get_driver_name() == "asyncpg":
        _timeouts_drop_the_connection(engine, settings.database_read_timeout)
    return AsyncDatabase(engine, engine.execution_options(**{WRITE_OPTION: True}))


def asyncpg_connect_args(url: URL, settings: Settings) -> tuple[URL, dict[str, Any]]:
    """asyncpg's connect arguments bounding every wait, and the URL without the libpq
    parameters asyncpg has no argument for: ``options`` (``-c name=value`` server settings) and
    ``application_name`` become its ``server_settings``, kept beside the statement timeout, so
    a URL written for the sync app means the same here."""
    server_settings = {"statement_timeout": str(round(settings.database_statement_timeout * 1000))}
    for word in " ".join(_values(url, "options")).replace("-c ", "-c").split():
        name, _, value = word.removeprefix("-c").partition("=")
        server_settings.setdefault(name.replace("-", "_"), value)
    for name in _values(url, "application_name"):
        server_settings["application_name"] = name
    url = url.difference_update_query(["options", "application_name"])
    return url, {
        "timeout": settings.database_connect_timeout,
        "command_timeout": settings.database_read_timeout,
        "server_settings": server_settings,
    }


def _values(url: URL, key: str) -> list[str]:
    """The values of query parameter ``key`` in ``url`` (none, one or several)."""
    value = url.query.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _bounded_aiomysql(url: URL, settings: Settings) -> Callable[[], Awaitable[Any]]:
    """A connect function for aiomysql whose connections never wait longer than the read
    timeout for the server, and do not fetch warnings.

    aiomysql, unlike PyMySQL, has no read timeout: a frozen server would hold a request for as
    long as TCP keeps the connection. ``BoundedAiomysql`` reads every packet, the server's
    greeting included, under ``asyncio.timeout``; when it expires the connection is closed
    (its state is unknown) and the error is PyMySQL's "lost connection" (2013), which
    SQLAlchemy takes for a disconnect: the connection is invalidated and the request gets the
    usual 503. The URL's arguments are those SQLAlchemy's aiomysql dialect would pass.
    """
    import aiomysql
    import pymysql
    from pymysql.constants import CR
    from sqlalchemy.dialects.mysql.aiomysql import dialect

    read_timeout = settings.database_read_timeout
    _, arguments = dialect().create_connect_args(url)
    arguments["connect_timeout"] = settings.database_connect_timeout

    class QuietCursor(aiomysql.Cursor):  # type: ignore[misc]
        async def _show_warnings(self, _connection: Any) -> None:
            """Skipped: aiomysql sends ``SHOW WARNINGS`` after every statement that left one
            (each ``INSERT IGNORE`` of a tag that exists) and re-raises them as Python
            warnings; PyMySQL, the sync app's driver, stopped doing so in 1.0. One more
            round trip per such write, and a statement the counts would not see."""

    class QuietSSCursor(QuietCursor, aiomysql.SSCursor):  # type: ignore[misc]
        pass

    quiet = {aiomysql.Cursor: QuietCursor, aiomysql.SSCursor: QuietSSCursor}

    class BoundedAiomysql(aiomysql.Connection):  # type: ignore[misc]
        def cursor(self, *cursors: type[Any]) -> Any:
            """Cursors that leave warnings unfetched, as PyMySQL's do (``QuietCursor``)."""
            return super().cursor(*(quiet.get(cursor, cursor) for cursor in cursors))

        async def _read_bytes(self, num_bytes: int) -> bytes:
            try:
                async with asyncio.timeout(read_timeout):
                    data: bytes = await super()._read_bytes(num_bytes)
                    return data
            except TimeoutError:
                self.close()
                raise pymysql.err.OperationalError(
                    CR.CR_SERVER_LOST,
                    f"the server did not answer within {read_timeout:g} s; connection closed",
                ) from None

    async def connect() -> Any:
        connection = BoundedAiomysql(**arguments)
        await connection._connect()  # what aiomysql.connect() does with its own class
        return connection

    return connect
