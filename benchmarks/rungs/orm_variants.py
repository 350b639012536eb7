"""ORM variants: one idiomatic knob each, measured against the ORM app as shipped.

Each variant is a rung named ``orm+<knob>`` whose ratios are taken against ``orm``; it
implements only the operations the knob applies to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.registry import implements, rung
from benchmarks.rungs.core import LIST_20, LIST_1000, LIST_COMPLETED
from orm_app import repository
from orm_app.db import open_session
from orm_app.models import Todo
from todo_contract.clock import utc_now
from todo_contract.params import TodoFilter
from todo_contract.schemas import TodoCreate, TodoRead

rung(
    "orm+expire_on_commit",
    "Session() with its default expire_on_commit=True: reading the todo after commit "
    "reloads it with another SELECT",
    baseline="orm",
)
rung(
    "orm+columns",
    "select(Todo.id, Todo.title, …) columns instead of Todo entities: rows, no objects, "
    "no identity map",
    baseline="orm",
)
rung(
    "orm+identity_map",
    "session.get in a Session that already holds the todo: the identity map answers, no SQL",
    baseline="orm",
)
rung(
    "orm+bulk_insert",
    "session.execute(insert(Todo), [dicts]): ORM bulk INSERT, no Todo objects",
    baseline="orm",
)
rung(
    "orm+yield_per",
    "select(Todo).execution_options(yield_per=100): objects built in batches of 100",
    baseline="orm",
)

COLUMNS = (Todo.id, Todo.title, Todo.completed, Todo.priority, Todo.created_at, Todo.updated_at)


@implements("orm+expire_on_commit", "create")
def create_expiring(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
    """orm_app.repository.create_todo in a default Session."""
    with Session(bench.database.writes) as session:
        return repository.create_todo(session, data)


@implements("orm+expire_on_commit", "update")
def update_expiring(bench: BenchDatabase, change: tuple[int, dict[str, Any]]) -> TodoRead | None:
    """orm_app.repository.update_todo in a default Session."""
    with Session(bench.database.writes) as session:
        return repository.update_todo(session, *change)


def _list_columns(bench: BenchDatabase, query: TodoFilter) -> list[TodoRead]:
    statement = select(*COLUMNS).order_by(Todo.id).limit(query.limit).offset(query.offset)
    if query.completed is not None:
        statement = statement.where(Todo.completed == query.completed)
    with open_session(bench.database, write=False) as session:
        return [TodoRead.model_validate(row) for row in session.execute(statement)]


@implements("orm+columns", "get_one")
def get_one_columns(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """select(columns).where(id) instead of session.get."""
    with open_session(bench.database, write=False) as session:
        row = session.execute(select(*COLUMNS).where(Todo.id == todo_id)).first()
        return None if row is None else TodoRead.model_validate(row)


@implements("orm+columns", "list_20")
def list_20_columns(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """20 rows of columns."""
    return _list_columns(bench, LIST_20)


@implements("orm+columns", "list_1000")
def list_1000_columns(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """1000 rows of columns."""
    return _list_columns(bench, LIST_1000)


@implements("orm+columns", "list_completed")
def list_completed_columns(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """20 completed rows of columns."""
    return _list_columns(bench, LIST_COMPLETED)


@implements("orm+identity_map", "get_one")
def get_one_cached(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
    """session.get in one long-lived Session: after the warm-up every todo asked for is in
    its identity map, so no SQL is sent (and the data may be stale: that is the trade)."""
    session = bench.resources.get("identity_map_session")
    if not isinstance(session, Session):
        session = open_session(bench.database, write=False)
        bench.resources["identity_map_session"] = session
        bench.closers.append(session.close)
    todo = repository.get_todo(session, todo_id)
    session.commit()  # gives the connection back; expire_on_commit=False keeps the objects
    return todo


@implements("orm+bulk_insert", "seed_1000")
def seed_bulk(bench: BenchDatabase, items: list[TodoCreate]) -> int:
    """ORM bulk INSERT from a list of dicts."""
    now = utc_now()
    with Session(bench.database.writes) as session:
        session.execute(
            insert(Todo),
            [{**item.model_dump(), "created_at": now, "updated_at": now} for item in items],
        )
        session.commit()
    return len(items)


@implements("orm+yield_per", "list_1000")
def list_1000_yield_per(bench: BenchDatabase, _: object) -> list[TodoRead]:
    """Stream Todo objects in batches of 100."""
    statement = select(Todo).order_by(Todo.id).limit(1000).execution_options(yield_per=100)
    with open_session(bench.database, write=False) as session:
        return [TodoRead.model_validate(todo) for todo in session.scalars(statement)]
