"""Data access with the ORM: ``select()`` statements and the Session's unit of work.

Each function takes the request's Session, does its work in one transaction, commits when it
changed something, and returns the API's ``TodoRead`` — the same signatures as
``core_app.repository``, so the two can be compared call for call.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, select
from sqlalchemy.orm import Session

from orm_app.models import Todo
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.etags import IfMatch
from todo_contract.params import TodoFilter
from todo_contract.retry import retry_conflicts
from todo_contract.schemas import TodoCount, TodoCreate, TodoRead


@retry_conflicts
def create_todo(session: Session, data: TodoCreate) -> TodoRead:
    """Insert a todo; its id comes back from the INSERT."""
    now = utc_now()
    todo = Todo(**data.model_dump(), created_at=now, updated_at=now)
    session.add(todo)
    session.commit()
    return TodoRead.model_validate(todo)


def get_todo(session: Session, todo_id: int) -> TodoRead | None:
    """One todo by primary key, or None."""
    todo = session.get(Todo, todo_id)
    return None if todo is None else TodoRead.model_validate(todo)


def list_todos(session: Session, query: TodoFilter) -> list[TodoRead]:
    """A page of todos in id order, optionally only completed or only pending ones."""
    statement = select(Todo).order_by(Todo.id).limit(query.limit).offset(query.offset)
    if query.completed is not None:
        statement = statement.where(Todo.completed == query.completed)
    return [TodoRead.model_validate(todo) for todo in session.scalars(statement)]


def count_todos(session: Session) -> TodoCount:
    """Totals in one query: all todos and the completed ones."""
    statement = select(
        func.count(Todo.id),
        func.coalesce(func.sum(case((Todo.completed, 1), else_=0)), 0),
    )
    total, completed = session.execute(statement).one()
    return TodoCount(total=total, completed=int(completed), pending=total - int(completed))


@retry_conflicts
def update_todo(
    session: Session, todo_id: int, changes: dict[str, Any], precondition: IfMatch | None = None
) -> TodoRead | None:
    """Apply ``changes`` to a todo (all fields for PUT, the sent ones for PATCH).

    The row is read ``FOR UPDATE`` (on SQLite the transaction already holds the write lock), so
    two concurrent updates of one todo take turns instead of overwriting each other, and an
    ``If-Match`` precondition is checked against the version that is about to change.
    """
    todo = session.get(Todo, todo_id, with_for_update=True)
    if todo is None:
        return None
    if precondition is not None:
        precondition.check(todo.id, todo.updated_at)
    for field, value in changes.items():
        setattr(todo, field, value)
    todo.updated_at = next_updated_at(todo.updated_at)
    session.commit()
    return TodoRead.model_validate(todo)


@retry_conflicts
def delete_todo(session: Session, todo_id: int, precondition: IfMatch | None = None) -> bool:
    """Delete a todo in one statement; False when there was none.

    With an ``If-Match`` precondition the row is first read ``FOR UPDATE`` and checked.
    """
    if precondition is not None:
        todo = session.get(Todo, todo_id, with_for_update=True)
        if todo is None:
            return False
        precondition.check(todo.id, todo.updated_at)
    result = session.execute(delete(Todo).where(Todo.id == todo_id))
    session.commit()
    return bool(cast(CursorResult[Any], result).rowcount)
