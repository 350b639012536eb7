"""The raw async rungs: the asyncio DB-API drivers alone, no SQLAlchemy at all.

``raw-async`` is the driver each async app uses (``todo_contract.async_database``):
aiosqlite on SQLite, asyncpg on PostgreSQL, aiomysql on MariaDB. ``raw-async+psycopg`` is
psycopg 3's async mode, on PostgreSQL only: the sync raw rung's driver, so that against
``raw`` it shows what asyncio changes with the driver held, and against ``raw-async`` what
asyncpg changes.

Everything else is the sync raw rung's (``benchmarks.rungs.raw``): one connection kept open,
``core_app.queries``' statements (named parameters turned into each driver's style:
``:name`` for aiosqlite, ``%(name)s`` for psycopg and aiomysql, ``$n`` for asyncpg),
transactions shaped like the apps' (on SQLite a read in autocommit and a write in ``BEGIN
IMMEDIATE``; on the servers a transaction per unit, committed after a write and rolled back
after a read), rows made into ``TodoRead`` the same way. The statements sent are counted
here and checked equal to the sync raw rung's (``benchmarks.gates.twin_count_gate``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import make_url

from benchmarks import workloads
from benchmarks.awaiting import event_loop
from benchmarks.counting import StatementCounter
from benchmarks.database import BenchDatabase
from benchmarks.ladder import PSYCOPG, RAW, RAW_ASYNC
from benchmarks.registry import OPERATIONS, RUNGS, Implementation, Rung, series_operations
from benchmarks.rungs.raw import expanded, named_statements, to_paramstyle, todo_of
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead

PSYCOPG_RUNG = f"{RAW_ASYNC}+{PSYCOPG}"
NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """asyncpg's ``$1, $2 …`` for named parameters (one number per name, in order of first
    appearance), and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return NAMED_PARAMETER.sub(number, sql), tuple(names)


class AsyncRawDriver:
    """One open async connection, with the few calls the operations make on every driver:
    ``fetch`` (a statement's rows as tuples), ``run`` (its row count) and ``run_many`` (one
    statement, many parameter sets), each counted while a counter listens."""

    def __init__(self, backend: str, url: str, kind: str) -> None:
        self.backend = backend
        self.kind = kind  # "aiosqlite", "asyncpg", "psycopg", "aiomysql"
        self.url = make_url(url)
        self.sql = named_statements(backend)
        self.counter: StatementCounter | None = None
        self.connection: Any = None
        self._numbered: dict[str, tuple[str, tuple[str, ...]]] = {}

    async def connect(self) -> None:
        """Open the connection (SQLite: with the apps' pragmas)."""
        url = self.url
        if self.kind == "aiosqlite":
            import aiosqlite

            self.connection = await aiosqlite.connect(url.database or "", isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
                await self.connection.execute(f"PRAGMA {pragma}")
        elif self.kind == "asyncpg":
            import asyncpg

            self.connection = await asyncpg.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password=url.password,
                database=url.database,
            )
        elif self.kind == "psycopg":
            import psycopg

            self.connection = await psycopg.AsyncConnection.connect(
                host=url.host,
                port=url.port,
                user=url.username,
                password=url.password,
                dbname=url.database,
            )
        else:
            import aiomysql

            self.connection = await aiomysql.connect(
                host=url.host or "127.0.0.1",
                port=url.port or 3306,
                user=url.username or "root",
                password=url.password or "",
                db=url.database,
                charset="utf8mb4",
                autocommit=False,
            )

    async def close(self) -> None:
        """Close the connection."""
        if self.connection is None:
            return
        if self.kind == "aiomysql":
            self.connection.close()
        else:
            await self.connection.close()

    def _record(self, sql: str) -> None:
        if self.counter is not None:
            self.counter.record(sql)

    def _styled(self, sql: str) -> str:
        return sql if self.kind == "aiosqlite" else to_paramstyle(sql, self.backend)

    def _asyncpg(self, sql: str, parameters: dict[str, Any]) -> tuple[str, list[Any]]:
        if sql not in self._numbered:
            self._numbered[sql] = numbered(sql)
        text, names = self._numbered[sql]
        return text, [parameters[name] for name in names]

    async def fetch(self, sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
        """Execute ``sql`` (named parameters) and return its rows."""
        self._record(sql)
        parameters = parameters or {}
        if self.kind == "asyncpg":
            text, values = self._asyncpg(sql, parameters)
            return [tuple(row) for row in await self.connection.fetch(text, *values)]
        if self.kind == "aiosqlite":
            cursor = await self.connection.execute(sql, parameters)
            try:
                return list(await cursor.fetchall())
            finally:
                await cursor.close()
        rows: list[Any] = await self._cursor_call(sql, parameters, rows=True)
        return rows

    async def run(self, sql: str, parameters: dict[str, Any]) -> int:
        """Execute ``sql`` and return how many rows it changed."""
        self._record(sql)
        if self.kind == "asyncpg":
            text, values = self._asyncpg(sql, parameters)
            status: str = await self.connection.execute(text, *values)
            return int(status.rsplit(" ", 1)[-1])
        if self.kind == "aiosqlite":
            cursor = await self.connection.execute(sql, parameters)
            try:
                return int(cursor.rowcount)
            finally:
                await cursor.close()
        count: int = await self._cursor_call(sql, parameters, rows=False)
        return count

    async def run_many(self, sql: str, parameter_sets: Sequence[dict[str, Any]]) -> None:
        """Execute ``sql`` once per parameter set (one ``executemany``: one statement)."""
        self._record(sql)
        if self.kind == "asyncpg":
            if sql not in self._numbered:
                self._numbered[sql] = numbered(sql)
            text, names = self._numbered[sql]
            await self.connection.executemany(
                text, [[each[name] for name in names] for each in parameter_sets]
            )
        elif self.kind == "aiosqlite":
            await self.connection.executemany(sql, parameter_sets)
        else:
            cursor = await self._cursor()
            try:
                await cursor.executemany(self._styled(sql), parameter_sets)
            finally:
                await cursor.close()

    async def _cursor(self) -> Any:
        if self.kind == "aiomysql":
            return await self.connection.cursor()
        return self.connection.cursor()

    async def _cursor_call(self, sql: str, parameters: dict[str, Any], *, rows: bool) -> Any:
        """psycopg's and aiomysql's cursor: execute, then the rows or the row count."""
        cursor = await self._cursor()
        try:
            await cursor.execute(self._styled(sql), parameters)
            return list(await cursor.fetchall()) if rows else cursor.rowcount
        finally:
            await cursor.close()

    async def begin(self, *, write: bool) -> Any:
        """Start a unit of work shaped as the apps shape theirs; returns what ``end`` needs."""
        if self.kind == "aiosqlite":
            if write:
                await self.connection.execute("BEGIN IMMEDIATE")
            return None
        if self.kind == "asyncpg":
            transaction = self.connection.transaction()
            await transaction.start()
            return transaction
        return None  # psycopg and aiomysql begin implicitly, as their sync drivers do

    async def end(self, transaction: Any, *, write: bool, ok: bool) -> None:
        """Commit a write that went well; roll back anything else (SQLite reads: nothing)."""
        if self.kind == "aiosqlite" and not write:
            return
        if transaction is not None:
            await (transaction.commit() if write and ok else transaction.rollback())
        elif write and ok:
            await self.connection.commit()
        else:
            await self.connection.rollback()

    def time(self, value: Any) -> Any:
        """A timestamp parameter: SQLite stores text in SQLAlchemy's format, others datetimes."""
        if self.backend == "sqlite":
            return value.isoformat(" ", timespec="microseconds")
        return value

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        """Count the statements sent meanwhile."""
        self.counter = StatementCounter()
        try:
            yield self.counter
        finally:
            self.counter = None


DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mariadb": "aiomysql"}


def async_driver(bench: BenchDatabase, kind: str | None = None) -> AsyncRawDriver:
    """The raw async driver of this benchmark database (``kind``: psycopg's async mode
    instead of the backend's async driver); its connection opens at the first unit of work,
    on the event loop, and closes with the database."""
    kind = kind or DRIVERS[bench.backend]
    key = f"raw async driver {kind}"
    existing = bench.resources.get(key)
    if isinstance(existing, AsyncRawDriver):
        return existing
    loop = event_loop(bench)
    raw = AsyncRawDriver(bench.backend, bench.url, kind)
    bench.resources[key] = raw
    bench.closers.append(lambda: loop.run_until_complete(raw.close()))
    return raw


class Unit:
    """``async with Unit(raw, write=...)``: one unit of work, committed or rolled back."""

    def __init__(self, raw: AsyncRawDriver, *, write: bool) -> None:
        self.raw = raw
        self.write = write
        self.transaction: Any = None

    async def __aenter__(self) -> AsyncRawDriver:
        if self.raw.connection is None:
            await self.raw.connect()
        self.transaction = await self.raw.begin(write=self.write)
        return self.raw

    async def __aexit__(self, kind: object, *_: object) -> None:
        await self.raw.end(self.transaction, write=self.write, ok=kind is None)


def implementations(kind: str | None) -> dict[str, Implementation]:
    """Every operation on the raw async driver ``kind`` (None: the backend's own)."""

    async def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
        raw = async_driver(bench, kind)
        async with Unit(raw, write=False):
            rows = await raw.fetch(raw.sql["get"], {"id": todo_id})
        return todo_of(rows[0]) if rows else None

    def lister(rows: int) -> Implementation:
        async def list_rows(bench: BenchDatabase, _: object) -> list[TodoRead]:
            raw = async_driver(bench, kind)
            async with Unit(raw, write=False):
                found = await raw.fetch(raw.sql["list"], {"limit": rows, "offset": 0})
            return [todo_of(row) for row in found]

        return list_rows

    async def list_completed(bench: BenchDatabase, _: object) -> list[TodoRead]:
        raw = async_driver(bench, kind)
        page = {"completed": True, "limit": 20, "offset": 0}
        async with Unit(raw, write=False):
            found = await raw.fetch(raw.sql["list_completed"], page)
        return [todo_of(row) for row in found]

    async def list_by_tag(bench: BenchDatabase, _: object) -> list[TodoRead]:
        raw = async_driver(bench, kind)
        query = workloads.LIST_BY_TAG
        page = {"tag": query.tag, "limit": query.limit, "offset": query.offset}
        async with Unit(raw, write=False):
            found = await raw.fetch(raw.sql["list_by_tag"], page)
        return [todo_of(row) for row in found]

    async def tag_counts(bench: BenchDatabase, _: object) -> list[TagCount]:
        raw = async_driver(bench, kind)
        page = workloads.TAG_PAGE
        async with Unit(raw, write=False):
            found = await raw.fetch(raw.sql["list_tags"], {"limit": page.limit, "offset": 0})
        return [TagCount(name=name, todos=todos) for name, todos in found]

    async def count(bench: BenchDatabase, _: object) -> TodoCount:
        raw = async_driver(bench, kind)
        async with Unit(raw, write=False):
            ((total, completed),) = await raw.fetch(raw.sql["count"])
        return TodoCount(total=total, completed=int(completed), pending=total - int(completed))

    async def attach_tags(raw: AsyncRawDriver, todo_id: int, names: list[str]) -> None:
        if not names:
            return
        await raw.run_many(raw.sql["insert_missing_tags"], [{"name": n} for n in sorted(names)])
        sql, parameters = expanded(raw.sql["attach_tags"], "names", names, "sqlite")
        await raw.run(sql, {"todo_id": todo_id, **parameters})

    async def create(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
        raw = async_driver(bench, kind)
        now = utc_now()
        values = data.model_dump(exclude={"tags"})
        async with Unit(raw, write=True):
            ((todo_id,),) = await raw.fetch(
                raw.sql["insert"], {**values, "created_at": raw.time(now)}
            )
            await attach_tags(raw, todo_id, data.tags)
        return TodoRead(id=todo_id, created_at=now, updated_at=now, tags=data.tags, **values)

    async def update(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
        todo_id, changes = change
        raw = async_driver(bench, kind)
        async with Unit(raw, write=True):
            rows = await raw.fetch(raw.sql["get_for_update"], {"id": todo_id})
            if not rows:
                return None
            todo = todo_of(rows[0]).model_dump() | changes
            todo["updated_at"] = next_updated_at(todo["updated_at"])
            columns = {name: value for name, value in todo.items() if name != "tags"}
            await raw.run(
                raw.sql["update"], {**columns, "updated_at": raw.time(todo["updated_at"])}
            )
            if "tags" in changes:
                await raw.run(raw.sql["detach_tags"], {"todo_id": todo_id})
                await attach_tags(raw, todo_id, changes["tags"])
        return TodoRead.model_validate(todo)

    async def delete(bench: BenchDatabase, todo_id: int) -> bool:
        raw = async_driver(bench, kind)
        async with Unit(raw, write=True):
            return bool(await raw.run(raw.sql["delete"], {"id": todo_id}))

    async def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        raw = async_driver(bench, kind)
        now = raw.time(utc_now())
        async with Unit(raw, write=True):
            rows = [{**item.model_dump(exclude={"tags"}), "created_at": now} for item in items]
            await raw.run_many(raw.sql["insert_many"], rows)
        return len(items)

    found: dict[str, Implementation] = {
        "get_one": get_one,
        "list_completed": list_completed,
        "list_by_tag": list_by_tag,
        "tag_counts": tag_counts,
        "count": count,
        "create": create,
        "create_tagged": create,
        "update": update,
        "replace_tags": update,
        "delete": delete,
    }
    for name in series_operations("list"):
        found[name] = lister(OPERATIONS[name].rows)
    for name in series_operations("insert"):
        found[name] = insert_rows
    return found


def _counting(kind: str | None) -> Any:
    return lambda bench: async_driver(bench, kind).counting()


RUNGS[RAW_ASYNC] = Rung(
    RAW_ASYNC,
    "the async driver alone (aiosqlite, asyncpg, aiomysql): hand-written SQL, no SQLAlchemy, "
    "awaited",
    RAW,
    implementations(None),
    awaits=True,
    counting=_counting(None),
)
RUNGS[PSYCOPG_RUNG] = Rung(
    PSYCOPG_RUNG,
    "psycopg 3's async mode alone (PostgreSQL): the sync raw rung's driver, awaited",
    RAW_ASYNC,
    implementations(PSYCOPG),
    awaits=True,
    backends=("postgresql",),
    counting=_counting(PSYCOPG),
)
