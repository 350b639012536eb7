"""The raw rung: the DB-API driver alone (sqlite3, psycopg, PyMySQL), no SQLAlchemy at all.

One connection is kept open (as a pool would keep it). Each operation sends the SQL of
``core_app.queries`` — taken from there, its named parameters turned into the driver's
paramstyle, not retyped — and its transactions are shaped like the apps': on SQLite a read
runs in autocommit (no BEGIN, no ROLLBACK, as the apps' read engine does) and a write in
``BEGIN IMMEDIATE`` … ``COMMIT`` (as their write view does); on the servers every unit of work
is a transaction, committed after a write and rolled back after a read, as a pooled
connection's is when it is returned. Rows become ``TodoRead`` the same way the apps return
them — so the rungs above differ only in what SQLAlchemy adds.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ClauseElement, make_url

from benchmarks import workloads
from benchmarks.counting import CountingCursor, StatementCounter
from benchmarks.database import BenchDatabase
from benchmarks.registry import OPERATIONS, Implementation, implements, rung, series_operations
from benchmarks.rungs.variants import INSERT_MANY
from core_app import queries
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead

RAW_RUNG = rung("raw", "the DB-API driver alone: hand-written SQL, no SQLAlchemy", baseline=None)

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}
"""SQLAlchemy's dialect name for each backend: the key of core_app's per-dialect statements."""
NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def statement_text(statement: ClauseElement) -> str:
    """The SQL of one of ``core_app.queries``' statements, as written there (a ``text()``
    statement renders as its own text, named parameters included)."""
    return str(statement)


def to_paramstyle(sql: str, backend: str) -> str:
    """Named parameters (``:name``) in the driver's own style: sqlite3 takes them as they
    are, psycopg and PyMySQL as ``%(name)s``; every driver then takes a dict of values."""
    if backend == "sqlite":
        return sql
    return NAMED_PARAMETER.sub(r"%(\1)s", sql)


def statements_for(backend: str) -> dict[str, str]:
    """Every statement the raw rung sends: ``core_app``'s own, in the driver's paramstyle.

    The one statement the app has no twin of, the bulk insert, is the SQL family's
    (``benchmarks.rungs.variants.INSERT_MANY``). On PostgreSQL, SQLAlchemy also casts the
    parameters core_app binds with a column type (``%(created_at)s::TIMESTAMP WITHOUT TIME
    ZONE``); the driver alone needs no cast, so the raw rung sends none: that is part of what
    SQLAlchemy adds. A test compares what each rung's driver receives, operation by operation.
    """
    return {name: to_paramstyle(sql, backend) for name, sql in named_statements(backend).items()}


def named_statements(backend: str) -> dict[str, str]:
    """``statements_for``'s statements with their named parameters (``:name``) as written."""
    sql = {
        "get": queries.SELECT_TODO[DIALECTS[backend]],
        "get_for_update": queries.SELECT_TODO_FOR_UPDATE[DIALECTS[backend]],
        "list": queries.LIST_TODOS[DIALECTS[backend]],
        "list_completed": queries.LIST_TODOS_BY_COMPLETED[DIALECTS[backend]],
        "list_by_tag": queries.list_todos(by_completed=False, by_tag=True)[DIALECTS[backend]],
        "list_tags": queries.LIST_TAGS,
        "count": queries.COUNT_TODOS,
        "insert": queries.INSERT_TODO,
        "insert_many": INSERT_MANY,
        "update": queries.UPDATE_TODO,
        "delete": queries.DELETE_TODO,
        "insert_missing_tags": queries.INSERT_MISSING_TAGS[DIALECTS[backend]],
        "attach_tags": queries.ATTACH_TAGS,
        "detach_tags": queries.DETACH_TAGS,
    }
    return {name: statement_text(clause) for name, clause in sql.items()}


def expanded(
    sql: str, name: str, values: Sequence[Any], backend: str
) -> tuple[str, dict[str, Any]]:
    """``sql`` with its expanding parameter ``name`` (``IN :name`` in core_app, rendered as a
    placeholder to fill at execution) written out as one parameter per value, and those
    parameters, as SQLAlchemy sends an expanding ``IN``."""
    names = [f"{name}_{index}" for index in range(len(values))]
    placeholders = ", ".join(to_paramstyle(f":{each}", backend) for each in names)
    return sql.replace(f"__[POSTCOMPILE_{name}]", placeholders), dict(
        zip(names, values, strict=True)
    )


class RawDriver:
    """One open DB-API connection and the SQL for its paramstyle."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.counter: StatementCounter | None = None  # set while queries are being counted
        self.sql = statements_for(backend)
        parsed = make_url(url)
        self.connection: Any
        if backend == "sqlite":
            # isolation_level=None: the driver begins nothing by itself (autocommit), so a
            # read sends only its SELECT and a write begins IMMEDIATE where we say so.
            self.connection = sqlite3.connect(
                parsed.database or "", isolation_level=None, check_same_thread=False
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA busy_timeout=5000")
        elif backend == "postgresql":
            import psycopg

            self.connection = psycopg.connect(
                host=parsed.host,
                port=parsed.port,
                user=parsed.username,
                password=parsed.password,
                dbname=parsed.database,
            )
        else:
            import pymysql

            self.connection = pymysql.connect(
                host=parsed.host or "127.0.0.1",
                port=parsed.port or 3306,
                user=parsed.username or "root",
                password=parsed.password or "",
                database=parsed.database,
                charset="utf8mb4",
                autocommit=False,
            )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Any]:
        """A cursor for one unit of work, its transaction shaped as the apps shape theirs."""
        cursor = self.connection.cursor()
        if self.counter is not None:
            cursor = CountingCursor(cursor, self.counter)
        autocommit = self.backend == "sqlite" and not write
        try:
            if self.backend == "sqlite" and write:
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            if write:
                self.connection.commit()
            elif not autocommit:
                self.connection.rollback()
        except BaseException:
            if not autocommit:
                self.connection.rollback()
            raise
        finally:
            cursor.close()

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        """Count the statements sent meanwhile (the raw twin of ``counting_engine``)."""
        self.counter = StatementCounter()
        try:
            yield self.counter
        finally:
            self.counter = None

    def time(self, value: datetime) -> Any:
        """A timestamp parameter: SQLite stores text in SQLAlchemy's format, others datetimes."""
        if self.backend == "sqlite":
            return value.isoformat(" ", timespec="microseconds")
        return value

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def tag_names(value: Any) -> list[str]:
    """The tags column: a JSON array's text (SQLite, MariaDB) or a list (PostgreSQL)."""
    return json.loads(value) if isinstance(value, str) else list(value)


def todo_of(row: Sequence[Any]) -> TodoRead:
    """A row of the todos' SELECT (tags last, when selected) as the apps return it."""
    return TodoRead(
        id=row[0],
        title=row[1],
        completed=bool(row[2]),
        priority=row[3],
        created_at=timestamp(row[4]),
        updated_at=timestamp(row[5]),
        tags=tag_names(row[6]) if len(row) > 6 else [],
    )


def driver(bench: BenchDatabase) -> RawDriver:
    """The raw connection of this benchmark database (opened on first use)."""
    existing = bench.resources.get("raw_driver")
    if isinstance(existing, RawDriver):
        return existing
    raw = RawDriver(bench.backend, bench.url)
    bench.resources["raw_driver"] = raw
    bench.closers.append(raw.close)
    return raw


RAW_RUNG.counting = lambda bench: driver(bench).counting()


@implements("raw", "get_one")
def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """SELECT one row, build a TodoRead."""
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        cursor.execute(raw.sql["get"], {"id": todo_id})
        row = cursor.fetchone()
    return None if row is None else todo_of(row)


def _list(bench: BenchDatabase, limit: int, completed: bool | None = None) -> list[TodoRead]:
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        if completed is None:
            cursor.execute(raw.sql["list"], {"limit": limit, "offset": 0})
        else:
            page = {"completed": completed, "limit": limit, "offset": 0}
            cursor.execute(raw.sql["list_completed"], page)
        return [todo_of(row) for row in cursor.fetchall()]


def _lister(rows: int) -> Implementation:
    def list_rows(bench: BenchDatabase, _: object) -> list[TodoRead]:
        return _list(bench, rows)

    list_rows.__doc__ = f"SELECT {rows} rows."
    return list_rows


for _name in series_operations("list"):
    implements("raw", _name)(_lister(OPERATIONS[_name].rows))


@implements("raw", "list_completed")
def list_completed(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """SELECT 20 completed rows."""
    return _list(bench, 20, completed=True)


@implements("raw", "list_by_tag")
def list_by_tag(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """SELECT the first 20 rows carrying the tag."""
    raw = driver(bench)
    query = workloads.LIST_BY_TAG
    with raw.transaction(write=False) as cursor:
        page = {"tag": query.tag, "limit": query.limit, "offset": query.offset}
        cursor.execute(raw.sql["list_by_tag"], page)
        return [todo_of(row) for row in cursor.fetchall()]


@implements("raw", "tag_counts")
def tag_counts(bench: BenchDatabase, _: object) -> list[TagCount]:
    """One GROUP BY query."""
    raw = driver(bench)
    page = workloads.TAG_PAGE
    with raw.transaction(write=False) as cursor:
        cursor.execute(raw.sql["list_tags"], {"limit": page.limit, "offset": page.offset})
        return [TagCount(name=name, todos=todos) for name, todos in cursor.fetchall()]


@implements("raw", "count")
def count(bench: BenchDatabase, _: object) -> TodoCount:
    """One aggregate query."""
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        cursor.execute(raw.sql["count"])
        total, completed = cursor.fetchone()
    return TodoCount(total=total, completed=int(completed), pending=total - int(completed))


def _attach_tags(raw: RawDriver, cursor: Any, todo_id: int, names: list[str]) -> None:
    """Create the missing tags (one executemany, names sorted), then attach all of them."""
    if not names:
        return
    cursor.executemany(raw.sql["insert_missing_tags"], [{"name": name} for name in sorted(names)])
    sql, parameters = expanded(raw.sql["attach_tags"], "names", names, raw.backend)
    cursor.execute(sql, {"todo_id": todo_id, **parameters})


@implements("raw", "create")
@implements("raw", "create_tagged")
def create(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
    """INSERT … RETURNING id, then its tags (when it has any)."""
    raw = driver(bench)
    now = utc_now()
    values = data.model_dump(exclude={"tags"})
    with raw.transaction(write=True) as cursor:
        cursor.execute(raw.sql["insert"], {**values, "created_at": raw.time(now)})
        (todo_id,) = cursor.fetchone()
        _attach_tags(raw, cursor, todo_id, data.tags)
    return TodoRead(id=todo_id, created_at=now, updated_at=now, tags=data.tags, **values)


@implements("raw", "update")
@implements("raw", "replace_tags")
def update(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
    """SELECT … FOR UPDATE, then UPDATE."""
    todo_id, changes = change
    raw = driver(bench)
    with raw.transaction(write=True) as cursor:
        cursor.execute(raw.sql["get_for_update"], {"id": todo_id})
        row = cursor.fetchone()
        if row is None:
            return None
        todo = todo_of(row).model_dump() | changes
        todo["updated_at"] = next_updated_at(todo["updated_at"])
        cursor.execute(raw.sql["update"], {**todo, "updated_at": raw.time(todo["updated_at"])})
        if "tags" in changes:
            cursor.execute(raw.sql["detach_tags"], {"todo_id": todo_id})
            _attach_tags(raw, cursor, todo_id, changes["tags"])
    return TodoRead.model_validate(todo)


@implements("raw", "delete")
def delete(bench: BenchDatabase, todo_id: int) -> bool:
    """DELETE one row."""
    raw = driver(bench)
    with raw.transaction(write=True) as cursor:
        cursor.execute(raw.sql["delete"], {"id": todo_id})
        return bool(cursor.rowcount)


def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
    """executemany of one INSERT in one transaction (every size of the insert series)."""
    raw = driver(bench)
    now = raw.time(utc_now())
    with raw.transaction(write=True) as cursor:
        cursor.executemany(
            raw.sql["insert_many"], [{**item.model_dump(), "created_at": now} for item in items]
        )
    return len(items)


for _name in series_operations("insert"):
    implements("raw", _name)(insert_rows)
