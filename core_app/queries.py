"""Every SQL statement ``core_app`` can send, written by hand.

Values always travel as bound parameters (``:name``), never by string formatting. Result
columns are typed with the shared tables' column types (``.columns(...)``), so SQLAlchemy
converts them the same way the ORM does: SQLite's timestamp text becomes a ``datetime`` and
MariaDB's ``TINYINT`` a ``bool``. Where a dialect needs different SQL, the variants sit side by
side in a dict keyed by dialect name.

A todo's tags come in the same statement as the todo: a correlated subquery aggregates its tag
names into one value per row, in each dialect's own way (SQLite ``json_group_array``,
PostgreSQL an ``ARRAY(SELECT …)``, MariaDB ``JSON_ARRAYAGG``). So a page of todos is one
statement whatever its length: hand-written SQL has no N+1 to fall into.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import JSON, Integer, String, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from todo_contract.table import tags, todos

_TODO = todos.c

DIALECTS = ("sqlite", "postgresql", "mysql")

_TODO_COLUMNS = (
    "todos.id, todos.title, todos.completed, todos.priority, todos.created_at, todos.updated_at"
)
_TAG_NAMES_OF_THE_TODO = (
    "FROM todo_tags JOIN tags ON tags.id = todo_tags.tag_id WHERE todo_tags.todo_id = todos.id"
)
TAGS_OF_EACH_TODO: dict[str, str] = {
    "sqlite": f"(SELECT json_group_array(tags.name) {_TAG_NAMES_OF_THE_TODO})",
    "postgresql": f"ARRAY(SELECT tags.name {_TAG_NAMES_OF_THE_TODO})",
    # JSON_ARRAYAGG over no rows is NULL, not an empty array.
    "mysql": f"COALESCE((SELECT JSON_ARRAYAGG(tags.name) {_TAG_NAMES_OF_THE_TODO}), JSON_ARRAY())",
}
"""The select-list expression giving each todo's tag names as one value (in no set order: the
API sorts them)."""
_TAGS_TYPE: dict[str, TypeEngine[Any]] = {
    "sqlite": JSON(),
    "postgresql": postgresql.ARRAY(String()),
    "mysql": JSON(),
}
"""How each dialect's tag aggregate is read back: JSON text parsed, or PostgreSQL's array."""


def _todos_with_tags_query(dialect: str, sql: str) -> TextualSelect:
    """A SELECT whose result columns are the todo columns and then ``tags``."""
    return text(sql).columns(
        _TODO.id,
        _TODO.title,
        _TODO.completed,
        _TODO.priority,
        _TODO.created_at,
        _TODO.updated_at,
        tags=_TAGS_TYPE[dialect],
    )


def _per_dialect(sql: str) -> dict[str, TextualSelect]:
    """``sql`` with ``{todo_columns}`` standing for the todo columns and their tags."""
    return {
        dialect: _todos_with_tags_query(
            dialect,
            sql.format(todo_columns=f"{_TODO_COLUMNS}, {TAGS_OF_EACH_TODO[dialect]} AS tags"),
        )
        for dialect in DIALECTS
    }


def _with_types(sql: str, *names: str) -> TextClause:
    """A statement whose named parameters are bound with the todo columns' types."""
    return text(sql).bindparams(*(bindparam(name, type_=_TODO[name].type) for name in names))


INSERT_TODO = _with_types(
    "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (:title, :completed, :priority, :created_at, :created_at)"
    " RETURNING id",  # SQLite ≥ 3.35, PostgreSQL and MariaDB ≥ 10.5 all support RETURNING
    "created_at",
)

SELECT_TODO = _per_dialect("SELECT {todo_columns} FROM todos WHERE todos.id = :id")

SELECT_TODO_FOR_UPDATE: dict[str, TextualSelect] = {
    **_per_dialect("SELECT {todo_columns} FROM todos WHERE todos.id = :id FOR UPDATE"),
    # SQLite has no row locks; the transaction began IMMEDIATE and already holds the write lock.
    "sqlite": SELECT_TODO["sqlite"],
}
"""The todo with its tags, its row locked (its tags are read with it)."""


_CARRYING_THE_TAG = (
    "EXISTS (SELECT 1 FROM todo_tags JOIN tags ON tags.id = todo_tags.tag_id"
    " WHERE todo_tags.todo_id = todos.id AND tags.name = :tag)"
)


@cache
def list_todos(*, by_completed: bool, by_tag: bool) -> dict[str, TextualSelect]:
    """The page query, per dialect, with the filters the request gives.

    Four fixed statements (no filter, ``completed``, ``tag``, both), each built once."""
    conditions = [
        *(["todos.completed = :completed"] if by_completed else []),
        *([_CARRYING_THE_TAG] if by_tag else []),
    ]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    page = " ORDER BY todos.id LIMIT :limit OFFSET :offset"
    return _per_dialect("SELECT {todo_columns} FROM todos" + where + page)


LIST_TODOS = list_todos(by_completed=False, by_tag=False)
LIST_TODOS_BY_COMPLETED = list_todos(by_completed=True, by_tag=False)

COUNT_TODOS = text(
    "SELECT COUNT(id) AS total,"
    " COALESCE(SUM(CASE WHEN completed THEN 1 ELSE 0 END), 0) AS completed"
    " FROM todos"
).columns(total=Integer, completed=Integer)

UPDATE_TODO = _with_types(
    "UPDATE todos SET title = :title, completed = :completed, priority = :priority,"
    " updated_at = :updated_at WHERE id = :id",
    "updated_at",
)

DELETE_TODO = text("DELETE FROM todos WHERE id = :id")
"""Its ``todo_tags`` rows go with it: ``ON DELETE CASCADE``."""

INSERT_MISSING_TAGS: dict[str, TextClause] = {
    # Two requests introducing the same new tag at once: the second waits for the first's
    # row, then inserts nothing instead of failing on the unique name.
    "sqlite": text("INSERT INTO tags (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
    "postgresql": text("INSERT INTO tags (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
    "mysql": text("INSERT IGNORE INTO tags (name) VALUES (:name)"),
}
"""Run with one parameter set per name (sorted, so concurrent requests lock in one order)."""

ATTACH_TAGS = text(
    "INSERT INTO todo_tags (todo_id, tag_id) SELECT :todo_id, id FROM tags WHERE name IN :names"
).bindparams(bindparam("names", expanding=True))
"""Attach the named tags (all present after ``INSERT_MISSING_TAGS``) to a todo. Reading
``tags`` inside the INSERT sees committed rows even under MariaDB's REPEATABLE READ, where a
plain SELECT could still be looking at the snapshot taken before another request's new tag."""

DETACH_TAGS = text("DELETE FROM todo_tags WHERE todo_id = :todo_id")

TAGS_OF_TODOS = text(
    "SELECT todo_tags.todo_id, tags.name FROM todo_tags JOIN tags ON tags.id = todo_tags.tag_id"
    " WHERE todo_tags.todo_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
"""The other way to load a page's tags: a second statement for all of them at once, as the
ORM's ``selectinload`` does (the benchmark compares it with the aggregate)."""

LIST_TAGS = text(
    "SELECT tags.name, COUNT(*) AS todos FROM tags"
    " JOIN todo_tags ON todo_tags.tag_id = tags.id"
    " GROUP BY tags.name ORDER BY tags.name LIMIT :limit OFFSET :offset"
).columns(tags.c.name, todos=Integer)
"""Every tag some todo carries, with how many do; ``tags.name`` sorts by code point on every
backend (its column has a binary collation)."""
