"""``core_app``'s own data access: its repository functions, on its engine and pool.

Each operation opens its Connection with ``core_app.db.open_connection`` — the function a
request's dependency calls — and closes it, returning it to the pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from benchmarks.database import BenchDatabase
from benchmarks.registry import implements, rung
from core_app import repository
from core_app.db import open_connection
from todo_contract.clock import utc_now
from todo_contract.params import TodoFilter
from todo_contract.schemas import TodoCount, TodoCreate, TodoRead

rung(
    "core", "core_app.repository: hand-written SQL in text(), a Connection per call", baseline="raw"
)

LIST_20 = TodoFilter(completed=None, limit=20, offset=0)
LIST_1000 = TodoFilter(completed=None, limit=1000, offset=0)
LIST_COMPLETED = TodoFilter(completed=True, limit=20, offset=0)

# No bulk insert exists in core_app (the API creates one todo at a time); this is how Core
# code would seed: the same INSERT, executed with a list of parameter sets (executemany).
INSERT_MANY = text(
    "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (:title, :completed, :priority, :created_at, :created_at)"
)


@implements("core", "get_one")
def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """core_app.repository.get_todo."""
    with open_connection(bench.database, write=False) as connection:
        return repository.get_todo(connection, todo_id)


@implements("core", "list_20")
def list_20(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """core_app.repository.list_todos, limit 20."""
    with open_connection(bench.database, write=False) as connection:
        return repository.list_todos(connection, LIST_20)


@implements("core", "list_1000")
def list_1000(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """core_app.repository.list_todos, limit 1000."""
    with open_connection(bench.database, write=False) as connection:
        return repository.list_todos(connection, LIST_1000)


@implements("core", "list_completed")
def list_completed(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """core_app.repository.list_todos, completed=true, limit 20."""
    with open_connection(bench.database, write=False) as connection:
        return repository.list_todos(connection, LIST_COMPLETED)


@implements("core", "count")
def count(bench: BenchDatabase, _: object) -> TodoCount:
    """core_app.repository.count_todos."""
    with open_connection(bench.database, write=False) as connection:
        return repository.count_todos(connection)


@implements("core", "create")
def create(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
    """core_app.repository.create_todo."""
    with open_connection(bench.database, write=True) as connection:
        return repository.create_todo(connection, data)


@implements("core", "update")
def update(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
    """core_app.repository.update_todo."""
    with open_connection(bench.database, write=True) as connection:
        return repository.update_todo(connection, *change)


@implements("core", "delete")
def delete(bench: BenchDatabase, todo_id: int) -> bool:
    """core_app.repository.delete_todo."""
    with open_connection(bench.database, write=True) as connection:
        return repository.delete_todo(connection, todo_id)


@implements("core", "seed_1000")
def seed_1000(bench: BenchDatabase, items: list[TodoCreate]) -> int:
    """One text() INSERT executed with 1000 parameter sets."""
    now = utc_now()
    with open_connection(bench.database, write=True) as connection, connection.begin():
        connection.execute(
            INSERT_MANY, [{**item.model_dump(), "created_at": now} for item in items]
        )
    return len(items)
