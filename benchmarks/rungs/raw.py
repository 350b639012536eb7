"""The floor: the DB-API driver alone (sqlite3, psycopg, PyMySQL), no SQLAlchemy at all.

One connection is kept open (as a pool would keep it), each operation runs in its own
transaction with the same SQL ``core_app`` sends, and rows become ``TodoRead`` the same way
the apps return them — so the rungs above differ only in what SQLAlchemy adds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import make_url

from benchmarks.counting import CountingCursor, StatementCounter
from benchmarks.database import BenchDatabase
from benchmarks.registry import implements, rung
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.schemas import TodoCount, TodoCreate, TodoRead

rung("raw", "the DB-API driver alone: hand-written SQL, no SQLAlchemy", baseline=None)

COLUMNS = "id, title, completed, priority, created_at, updated_at"
SQL = {
    "get": f"SELECT {COLUMNS} FROM todos WHERE id = %s",
    "get_for_update": f"SELECT {COLUMNS} FROM todos WHERE id = %s FOR UPDATE",
    "list": f"SELECT {COLUMNS} FROM todos ORDER BY id LIMIT %s OFFSET %s",
    "list_completed": f"SELECT {COLUMNS} FROM todos WHERE completed = %s"
    " ORDER BY id LIMIT %s OFFSET %s",
    "count": "SELECT COUNT(id), COALESCE(SUM(CASE WHEN completed THEN 1 ELSE 0 END), 0) FROM todos",
    "insert": "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s) RETURNING id",
    "insert_many": "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s)",
    "update": "UPDATE todos SET title = %s, completed = %s, priority = %s, updated_at = %s"
    " WHERE id = %s",
    "delete": "DELETE FROM todos WHERE id = %s",
}


class RawDriver:
    """One open DB-API connection and the SQL for its paramstyle."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.counter: StatementCounter | None = None  # set while queries are being counted
        parsed = make_url(url)
        self.connection: Any
        if backend == "sqlite":
            self.connection = sqlite3.connect(
                parsed.database or "", isolation_level=None, check_same_thread=False
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA busy_timeout=5000")
            self.sql = {name: sql.replace("%s", "?") for name, sql in SQL.items()}
            self.sql["get_for_update"] = self.sql["get"]
        elif backend == "postgresql":
            import psycopg

            self.connection = psycopg.connect(
                host=parsed.host,
                port=parsed.port,
                user=parsed.username,
                password=parsed.password,
                dbname=parsed.database,
            )
            self.sql = dict(SQL)
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
            self.sql = dict(SQL)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Any]:
        """A cursor in a transaction: committed after a write, rolled back after a read."""
        cursor = self.connection.cursor()
        if self.counter is not None:
            cursor = CountingCursor(cursor, self.counter)
        try:
            if self.backend == "sqlite":
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield cursor
            if write:
                self.connection.commit()
            else:
                self.connection.rollback()
        except BaseException:
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


def _timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _todo(row: Sequence[Any]) -> TodoRead:
    return TodoRead(
        id=row[0],
        title=row[1],
        completed=bool(row[2]),
        priority=row[3],
        created_at=_timestamp(row[4]),
        updated_at=_timestamp(row[5]),
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


@implements("raw", "get_one")
def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """SELECT one row, build a TodoRead."""
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        cursor.execute(raw.sql["get"], (todo_id,))
        row = cursor.fetchone()
    return None if row is None else _todo(row)


def _list(bench: BenchDatabase, limit: int, completed: bool | None = None) -> list[TodoRead]:
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        if completed is None:
            cursor.execute(raw.sql["list"], (limit, 0))
        else:
            cursor.execute(raw.sql["list_completed"], (completed, limit, 0))
        return [_todo(row) for row in cursor.fetchall()]


@implements("raw", "list_20")
def list_20(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """SELECT 20 rows."""
    return _list(bench, 20)


@implements("raw", "list_1000")
def list_1000(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """SELECT 1000 rows."""
    return _list(bench, 1000)


@implements("raw", "list_completed")
def list_completed(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """SELECT 20 completed rows."""
    return _list(bench, 20, completed=True)


@implements("raw", "count")
def count(bench: BenchDatabase, _: object) -> TodoCount:
    """One aggregate query."""
    raw = driver(bench)
    with raw.transaction(write=False) as cursor:
        cursor.execute(raw.sql["count"])
        total, completed = cursor.fetchone()
    return TodoCount(total=total, completed=int(completed), pending=total - int(completed))


@implements("raw", "create")
def create(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
    """INSERT … RETURNING id."""
    raw = driver(bench)
    now = utc_now()
    with raw.transaction(write=True) as cursor:
        cursor.execute(
            raw.sql["insert"],
            (data.title, data.completed, data.priority, raw.time(now), raw.time(now)),
        )
        (todo_id,) = cursor.fetchone()
    return TodoRead(id=todo_id, created_at=now, updated_at=now, **data.model_dump())


@implements("raw", "update")
def update(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
    """SELECT … FOR UPDATE, then UPDATE."""
    todo_id, changes = change
    raw = driver(bench)
    with raw.transaction(write=True) as cursor:
        cursor.execute(raw.sql["get_for_update"], (todo_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        todo = _todo(row).model_dump() | changes
        todo["updated_at"] = next_updated_at(todo["updated_at"])
        cursor.execute(
            raw.sql["update"],
            (
                todo["title"],
                todo["completed"],
                todo["priority"],
                raw.time(todo["updated_at"]),
                todo_id,
            ),
        )
    return TodoRead.model_validate(todo)


@implements("raw", "delete")
def delete(bench: BenchDatabase, todo_id: int) -> bool:
    """DELETE one row."""
    raw = driver(bench)
    with raw.transaction(write=True) as cursor:
        cursor.execute(raw.sql["delete"], (todo_id,))
        return bool(cursor.rowcount)


@implements("raw", "seed_1000")
def seed_1000(bench: BenchDatabase, items: list[TodoCreate]) -> int:
    """executemany of one INSERT in one transaction."""
    raw = driver(bench)
    now = raw.time(utc_now())
    with raw.transaction(write=True) as cursor:
        cursor.executemany(
            raw.sql["insert_many"],
            [(item.title, item.completed, item.priority, now, now) for item in items],
        )
    return len(items)
