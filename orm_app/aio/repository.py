"""Data access with the ORM on asyncio: ``orm_app.repository`` with every database call awaited.

The statements (the read queries are the sync repository's own ``page_of_todos``, ``page_of_tags``
and ``totals_query``), the loading option (``selectinload``, never a lazy load: an AsyncSession
cannot run one implicitly) and the unit of work are the sync repository's; only the session
is an ``AsyncSession``. Same signatures, so the two read side by side.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from orm_app.models import Tag, Todo
from orm_app.repository import (
    insert_missing_tags,
    load_tags,
    page_of_tags,
    page_of_todos,
    totals,
    totals_query,
)
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.etags import IfMatch
from todo_contract.params import TagPage, TodoFilter
from todo_contract.retry import retry_conflicts_async
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead


@retry_conflicts_async
async def create_todo(session: AsyncSession, data: TodoCreate) -> TodoRead:
    """Insert a todo with its tags; its id comes back from the INSERT."""
    now = utc_now()
    todo = Todo(**data.model_dump(exclude={"tags"}), created_at=now, updated_at=now)
    todo.tag_objects = await _tags_named(session, data.tags)
    session.add(todo)
    await session.commit()
    return TodoRead.model_validate(todo)


async def get_todo(session: AsyncSession, todo_id: int) -> TodoRead | None:
    """One todo by primary key, with its tags, or None."""
    todo = await session.get(Todo, todo_id, options=[load_tags()])
    return None if todo is None else TodoRead.model_validate(todo)


async def list_todos(session: AsyncSession, query: TodoFilter) -> list[TodoRead]:
    """A page of todos in id order with their tags, optionally only completed or pending
    ones, or those carrying a tag."""
    todos = await session.scalars(page_of_todos(query))
    return [TodoRead.model_validate(todo) for todo in todos]


async def list_tags(session: AsyncSession, page: TagPage) -> list[TagCount]:
    """A page of the tags some todo carries, by name, with how many todos carry each."""
    return [TagCount.model_validate(row) for row in await session.execute(page_of_tags(page))]


async def count_todos(session: AsyncSession) -> TodoCount:
    """Totals in one query: all todos and the completed ones."""
    return totals(*(await session.execute(totals_query())).one())


@retry_conflicts_async
async def update_todo(
    session: AsyncSession,
    todo_id: int,
    changes: dict[str, Any],
    precondition: IfMatch | None = None,
) -> TodoRead | None:
    """Apply ``changes`` to a todo (all fields for PUT, the sent ones for PATCH), its row read
    ``FOR UPDATE`` as in the sync app."""
    todo = await session.get(Todo, todo_id, with_for_update=True, options=[load_tags()])
    if todo is None:
        return None
    if precondition is not None:
        precondition.check(todo.id, todo.updated_at)
    for field, value in changes.items():
        if field == "tags":
            todo.tag_objects = await _tags_named(session, value)
        else:
            setattr(todo, field, value)
    todo.updated_at = next_updated_at(todo.updated_at)
    await session.commit()
    return TodoRead.model_validate(todo)


@retry_conflicts_async
async def delete_todo(
    session: AsyncSession, todo_id: int, precondition: IfMatch | None = None
) -> bool:
    """Delete a todo in one statement; False when there was none (with ``If-Match``, the row
    is first read ``FOR UPDATE`` and checked)."""
    if precondition is not None:
        todo = await session.get(Todo, todo_id, with_for_update=True)
        if todo is None:
            return False
        precondition.check(todo.id, todo.updated_at)
    result = await session.execute(delete(Todo).where(Todo.id == todo_id))
    await session.commit()
    return bool(cast(CursorResult[Any], result).rowcount)


async def _tags_named(session: AsyncSession, names: list[str]) -> list[Tag]:
    """The ``Tag`` objects for ``names``, the missing ones created without a race (see
    ``orm_app.repository._tags_named``)."""
    if not names:
        return []
    await session.execute(
        insert_missing_tags(session.sync_session), [{"name": name} for name in sorted(names)]
    )
    found = select(Tag).where(Tag.name.in_(names)).with_for_update(read=True)
    return list(await session.scalars(found))
