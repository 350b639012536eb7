"""Data access with Core: the hand-written statements of ``core_app.queries``.

Each function takes the request's Connection, does its work in one transaction, commits when
it changed something, and returns the API's ``TodoRead`` — the same signatures as
``orm_app.repository``, so the two can be compared call for call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from core_app import queries
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.etags import IfMatch
from todo_contract.params import TagPage, TodoFilter
from todo_contract.retry import retry_conflicts
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead


@retry_conflicts
def create_todo(connection: Connection, data: TodoCreate) -> TodoRead:
    """Insert a todo (its id comes back from ``RETURNING``), then attach its tags."""
    values = {**data.model_dump(exclude={"tags"}), "created_at": utc_now()}
    todo_id = connection.execute(queries.INSERT_TODO, values).scalar_one()
    _attach_tags(connection, todo_id, data.tags)
    connection.commit()
    return TodoRead(id=todo_id, updated_at=values["created_at"], tags=data.tags, **values)


def get_todo(connection: Connection, todo_id: int) -> TodoRead | None:
    """One todo by primary key, with its tags, or None."""
    select_todo = queries.SELECT_TODO[connection.dialect.name]
    row = connection.execute(select_todo, {"id": todo_id}).first()
    return None if row is None else TodoRead.model_validate(row)


def list_todos(connection: Connection, query: TodoFilter) -> list[TodoRead]:
    """A page of todos in id order with their tags, in one statement, optionally only
    completed or pending ones, or those carrying a tag."""
    by_completed, by_tag = query.completed is not None, query.tag is not None
    statement = queries.list_todos(by_completed=by_completed, by_tag=by_tag)
    parameters: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if by_completed:
        parameters["completed"] = query.completed
    if by_tag:
        parameters["tag"] = query.tag
    result = connection.execute(statement[connection.dialect.name], parameters)
    return [TodoRead.model_validate(row) for row in result]


def list_tags(connection: Connection, page: TagPage) -> list[TagCount]:
    """A page of the tags some todo carries, by name, with how many todos carry each."""
    result = connection.execute(queries.LIST_TAGS, {"limit": page.limit, "offset": page.offset})
    return [TagCount.model_validate(row) for row in result]


def count_todos(connection: Connection) -> TodoCount:
    """Totals in one query: all todos and the completed ones."""
    total, completed = connection.execute(queries.COUNT_TODOS).one()
    return TodoCount(total=total, completed=int(completed), pending=total - int(completed))


@retry_conflicts
def update_todo(
    connection: Connection,
    todo_id: int,
    changes: dict[str, Any],
    precondition: IfMatch | None = None,
) -> TodoRead | None:
    """Apply ``changes`` to a todo (all fields for PUT, the sent ones for PATCH).

    The row is read ``FOR UPDATE`` (on SQLite the transaction already holds the write lock), so
    two concurrent updates of one todo take turns instead of overwriting each other, and an
    ``If-Match`` precondition is checked against the version that is about to change.
    """
    row = _select_for_update(connection, todo_id)
    if row is None:
        return None
    if precondition is not None:
        precondition.check(row.id, row.updated_at)
    todo = {**row._asdict(), **changes}
    todo["updated_at"] = next_updated_at(row.updated_at)
    connection.execute(queries.UPDATE_TODO, todo)
    if "tags" in changes:
        connection.execute(queries.DETACH_TAGS, {"todo_id": todo_id})
        _attach_tags(connection, todo_id, changes["tags"])
    connection.commit()
    return TodoRead.model_validate(todo)


@retry_conflicts
def delete_todo(connection: Connection, todo_id: int, precondition: IfMatch | None = None) -> bool:
    """Delete a todo in one statement; False when there was none.

    With an ``If-Match`` precondition the row is first read ``FOR UPDATE`` and checked.
    """
    if precondition is not None:
        row = _select_for_update(connection, todo_id)
        if row is None:
            return False
        precondition.check(row.id, row.updated_at)
    result = connection.execute(queries.DELETE_TODO, {"id": todo_id})
    connection.commit()
    return bool(result.rowcount)


def _select_for_update(connection: Connection, todo_id: int) -> Row[Any] | None:
    """The todo's row, locked until the transaction ends (SQLite: already write-locked)."""
    select_for_update = queries.SELECT_TODO_FOR_UPDATE[connection.dialect.name]
    return connection.execute(select_for_update, {"id": todo_id}).first()


def _attach_tags(connection: Connection, todo_id: int, names: list[str]) -> None:
    """Create the tags that do not exist yet (race-free), then attach all of them."""
    if not names:
        return
    insert_missing = queries.INSERT_MISSING_TAGS[connection.dialect.name]
    connection.execute(insert_missing, [{"name": name} for name in sorted(names)])
    connection.execute(queries.ATTACH_TAGS, {"todo_id": todo_id, "names": names})
