"""``orm_app``'s own data access, as shipped: its repository functions in a Session per call.

Each operation opens its Session with ``orm_app.db.open_session`` — the function a request's
dependency calls — and closes it.
"""

from __future__ import annotations

from typing import Any

from benchmarks.database import BenchDatabase
from benchmarks.registry import implements, rung
from benchmarks.rungs.core import LIST_20, LIST_1000, LIST_COMPLETED
from orm_app import repository
from orm_app.db import open_session
from orm_app.models import Todo
from todo_contract.clock import utc_now
from todo_contract.schemas import TodoCount, TodoCreate, TodoRead

rung("orm", "orm_app.repository as shipped: select() and a Session per call", baseline="core")


@implements("orm", "get_one")
def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """orm_app.repository.get_todo (session.get)."""
    with open_session(bench.database, write=False) as session:
        return repository.get_todo(session, todo_id)


@implements("orm", "list_20")
def list_20(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """orm_app.repository.list_todos, limit 20."""
    with open_session(bench.database, write=False) as session:
        return repository.list_todos(session, LIST_20)


@implements("orm", "list_1000")
def list_1000(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """orm_app.repository.list_todos, limit 1000."""
    with open_session(bench.database, write=False) as session:
        return repository.list_todos(session, LIST_1000)


@implements("orm", "list_completed")
def list_completed(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """orm_app.repository.list_todos, completed=true, limit 20."""
    with open_session(bench.database, write=False) as session:
        return repository.list_todos(session, LIST_COMPLETED)


@implements("orm", "count")
def count(bench: BenchDatabase, _: object) -> TodoCount:
    """orm_app.repository.count_todos."""
    with open_session(bench.database, write=False) as session:
        return repository.count_todos(session)


@implements("orm", "create")
def create(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
    """orm_app.repository.create_todo (add, commit)."""
    with open_session(bench.database, write=True) as session:
        return repository.create_todo(session, data)


@implements("orm", "update")
def update(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
    """orm_app.repository.update_todo (get FOR UPDATE, set attributes, commit)."""
    with open_session(bench.database, write=True) as session:
        return repository.update_todo(session, *change)


@implements("orm", "delete")
def delete(bench: BenchDatabase, todo_id: int) -> bool:
    """orm_app.repository.delete_todo (an ORM-enabled DELETE statement)."""
    with open_session(bench.database, write=True) as session:
        return repository.delete_todo(session, todo_id)


@implements("orm", "seed_1000")
def seed_1000(bench: BenchDatabase, items: list[TodoCreate]) -> int:
    """The idiomatic unit of work: add_all 1000 Todo objects, one commit."""
    now = utc_now()
    with open_session(bench.database, write=True) as session:
        session.add_all(Todo(**item.model_dump(), created_at=now, updated_at=now) for item in items)
        session.commit()
    return len(items)
