"""Data access with Core on asyncio: the statements of ``core_app.queries``, awaited.

``core_app.repository`` with every database call awaited on an ``AsyncConnection``: the same
SQL, the same transactions, the same signatures, so the two read side by side.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from core_app import queries
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.etags import IfMatch
from todo_contract.params import TagPage, TodoFilter
from todo_contract.retry import retry_conflicts_async
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead


@retry_conflicts_async
async def create_todo(connection: AsyncConnection, data: TodoCreate) -> TodoRead:
    """Insert a todo (its id comes back from ``RETURNING``), then attach its tags."""
    values = {**data.model_dump(exclude={"tags"}), "created_at": utc_now()}
    todo_id = (await connection.execute(queries.INSERT_TODO, values)).scalar_one()
    await _attach_tags(connection, todo_id, data.tags)
    await connection.commit()
    return TodoRead(id=todo_id, updated_at=values["created_at"], tags=data.tags, **values)


async def get_todo(connection: AsyncConnection, todo_id: int) -> TodoRead | None:
    """One todo by primary key, with its tags, or None."""
    select_todo = queries.SELECT_TODO[connection.dialect.name]
    row = (await connection.execute(select_todo, {"id": todo_id})).first()
    return None if row is None else TodoRead.model_validate(row)


async def list_todos(connection: AsyncConnection, query: TodoFilter) -> list[TodoRead]:
    """A page of todos in id order with their tags, in one statement, optionally only
    completed or pending ones, or those carrying a tag."""
    by_completed, by_tag = query.completed is not None, query.tag is not None
    statement = queries.list_todos(by_completed=by_completed, by_tag=by_tag)
    parameters: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if by_completed:
        parameters["completed"] = query.completed
    if by_tag:
        parameters["tag"] = query.tag
    result = await connection.execute(statement[connection.dialect.name], parameters)
    return [TodoRead.model_validate(row) for row in result]


async def list_tags(connection: AsyncConnection, page: TagPage) -> list[TagCount]:
    """A page of the tags some todo carries, by name, with how many todos carry each."""
    parameters = {"limit": page.limit, "offset": page.offset}
    result = await connection.execute(queries.LIST_TAGS, parameters)
    return [TagCount.model_validate(row) for row in result]


async def count_todos(connection: AsyncConnection) -> TodoCount:
    """Totals in one query: all todos and the completed ones."""
    total, completed = (await connection.execute(queries.COUNT_TODOS)).one()
    return TodoCount(total=total, completed=int(completed), pending=total - int(completed))


@retry_conflicts_async
async def update_todo(
    connection: AsyncConnection,
    todo_id: int,
    changes: dict[str, Any],
    precondition: IfMatch | None = None,
) -> TodoRead | None:
    """Apply ``changes`` to a todo (all fields for PUT, the sent ones for PATCH), its row read
    ``FOR UPDATE`` as in the sync app."""
    row = await _select_for_update(connection, todo_id)
    if row is None:
        return None
    if precondition is not None:
        precondition.check(row.id, row.updated_at)
    todo = {**row._asdict(), **changes}
    todo["updated_at"] = next_updated_at(row.updated_at)
    await connection.execute(queries.UPDATE_TODO, todo)
    if "tags" in changes:
        await connection.execute(queries.DETACH_TAGS, {"todo_id": todo_id})
        await _attach_tags(connection, todo_id, changes["tags"])
    await connection.commit()
    return TodoRead.model_validate(todo)


@retry_conflicts_async
async def delete_todo(
    connection: AsyncConnection, todo_id: int, precondition: IfMatch | None = None
) -> bool:
    """Delete a todo in one statement; False when there was none (with ``If-Match``, the row
    is first read ``FOR UPDATE`` and checked)."""
    if precondition is not None:
        row = await _select_for_update(connection, todo_id)
        if row is None:
            return False
        precondition.check(row.id, row.updated_at)
    result = await connection.execute(queries.DELETE_TODO, {"id": todo_id})
    await connection.commit()
    return bool(result.rowcount)


async def _select_for_update(connection: AsyncConnection, todo_id: int) -> Row[Any] | None:
    """The todo's row, locked until the transaction ends (SQLite: already write-locked)."""
    select_for_update = queries.SELECT_TODO_FOR_UPDATE[connection.dialect.name]
    return (await connection.execute(select_for_update, {"id": todo_id})).first()


async def _attach_tags(connection: AsyncConnection, todo_id: int, names: list[str]) -> None:
    """Create the tags that do not exist yet (race-free), then attach all of them."""
    if not names:
        return
    insert_missing = queries.INSERT_MISSING_TAGS[connection.dialect.name]
    await connection.execute(insert_missing, [{"name": name} for name in sorted(names)])
    await connection.execute(queries.ATTACH_TAGS, {"todo_id": todo_id, "names": names})
