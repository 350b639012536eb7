"""Data access with the ORM: ``select()`` statements and the Session's unit of work.

Each function takes the request's Session, does its work in one transaction, commits when it
changed something, and returns the API's ``TodoRead`` — the same signatures as
``core_app.repository``, so the two can be compared call for call.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Select, case, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from orm_app.models import Tag, Todo
from todo_contract.clock import next_updated_at, utc_now
from todo_contract.etags import IfMatch
from todo_contract.params import TagPage, TodoFilter
from todo_contract.retry import retry_conflicts
from todo_contract.schemas import TagCount, TodoCount, TodoCreate, TodoRead
from todo_contract.table import todo_tags


def load_tags() -> ORMOption:
    """How every query that returns todos loads their tags: ``selectinload``, one more SELECT
    for the whole page (``… WHERE todo_tags.todo_id IN (…)``, in batches of 500 ids).

    SQLAlchemy's documentation recommends it for collections, and the benchmark's
    loading-strategy rungs found no strategy clearly faster on every backend: ``joinedload``
    (one statement, each todo's columns repeated once per tag) won the page of 20 on
    PostgreSQL, ``selectinload`` on SQLite and MariaDB (``benchmarks/README.md``).

    A new option per query, not one module-level object shared by every request. It was
    introduced against a segmentation fault of the ORM server under 16 concurrent clients,
    but that crash is not tied to it: it went on, about once in four ``make bench`` runs,
    with the option built per query and with SQLAlchemy's compiled extensions removed
    (``benchmarks/README.md``, "A crash of the ORM server"). Building it costs microseconds.
    """
    return selectinload(Todo.tag_objects)


@retry_conflicts
def create_todo(session: Session, data: TodoCreate) -> TodoRead:
    """Insert a todo with its tags; its id comes back from the INSERT."""
    now = utc_now()
    todo = Todo(**data.model_dump(exclude={"tags"}), created_at=now, updated_at=now)
    todo.tag_objects = _tags_named(session, data.tags)
    session.add(todo)
    session.commit()
    return TodoRead.model_validate(todo)


def get_todo(session: Session, todo_id: int) -> TodoRead | None:
    """One todo by primary key, with its tags, or None."""
    todo = session.get(Todo, todo_id, options=[load_tags()])
    return None if todo is None else TodoRead.model_validate(todo)


def list_todos(session: Session, query: TodoFilter) -> list[TodoRead]:
    """A page of todos in id order with their tags, optionally only completed or pending
    ones, or those carrying a tag."""
    return [TodoRead.model_validate(todo) for todo in session.scalars(page_of_todos(query))]


def page_of_todos(query: TodoFilter) -> Select[Todo]:
    """The page query of ``list_todos`` (``orm_app.aio`` sends the same)."""
    statement = (
        select(Todo).options(load_tags()).order_by(Todo.id).limit(query.limit).offset(query.offset)
    )
    if query.completed is not None:
        statement = statement.where(Todo.completed == query.completed)
    if query.tag is not None:
        statement = statement.where(Todo.tag_objects.any(Tag.name == query.tag))
    return statement


def list_tags(session: Session, page: TagPage) -> list[TagCount]:
    """A page of the tags some todo carries, by name, with how many todos carry each."""
    return [TagCount.model_validate(row) for row in session.execute(page_of_tags(page))]


def page_of_tags(page: TagPage) -> Select[str, int]:
    """The query of ``list_tags``: each tag's name and how many todos carry it."""
    return (
        select(Tag.name, func.count().label("todos"))
        .join(todo_tags, todo_tags.c.tag_id == Tag.id)
        .group_by(Tag.name)
        .order_by(Tag.name)
        .limit(page.limit)
        .offset(page.offset)
    )


def count_todos(session: Session) -> TodoCount:
    """Totals in one query: all todos and the completed ones."""
    return totals(*session.execute(totals_query()).one())


def totals_query() -> Select[int, Any]:
    """The query of ``count_todos``: all todos and the completed ones."""
    return select(
        func.count(Todo.id),
        func.coalesce(func.sum(case((Todo.completed, 1), else_=0)), 0),
    )


def totals(total: int, completed: int) -> TodoCount:
    """The API's counts from the two totals ``totals_query`` returns."""
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
    todo = session.get(Todo, todo_id, with_for_update=True, options=[load_tags()])
    if todo is None:
        return None
    if precondition is not None:
        precondition.check(todo.id, todo.updated_at)
    for field, value in changes.items():
        if field == "tags":
            todo.tag_objects = _tags_named(session, value)
        else:
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


def _tags_named(session: Session, names: list[str]) -> list[Tag]:
    """The ``Tag`` objects for ``names``, creating the missing ones without a race.

    Two requests introducing the same new tag at once must both succeed: the INSERT skips
    names that exist (the later request waits for the earlier one's row, then skips it), and
    the SELECT is a locking read, which sees rows committed since the transaction's snapshot
    (MariaDB's REPEATABLE READ would otherwise still miss the other request's new tag).
    """
    if not names:
        return []
    session.execute(insert_missing_tags(session), [{"name": name} for name in sorted(names)])
    found = select(Tag).where(Tag.name.in_(names)).with_for_update(read=True)
    return list(session.scalars(found))


def insert_missing_tags(session: Session) -> Insert:
    """An ORM INSERT of tags that skips the names already there, in the dialect's words."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Tag).on_conflict_do_nothing(index_elements=["name"])
    if dialect == "sqlite":
        return sqlite.insert(Tag).on_conflict_do_nothing(index_elements=["name"])
    return insert(Tag).prefix_with("IGNORE")
