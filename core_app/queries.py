"""Every SQL statement ``core_app`` can send, written by hand.

Values always travel as bound parameters (``:name``), never by string formatting. Result
columns are typed with the shared table's column types (``.columns(...)``), so SQLAlchemy
converts them the same way the ORM does: SQLite's timestamp text becomes a ``datetime`` and
MariaDB's ``TINYINT`` a ``bool``. Where a dialect needs different SQL, the variants sit side by
side in a dict keyed by dialect name.
"""

from __future__ import annotations

from sqlalchemy import Integer, TextClause, bindparam, text
from sqlalchemy.sql.selectable import TextualSelect

from todo_contract.table import todos

_TODO = todos.c


def _todos_query(sql: str) -> TextualSelect:
    """A SELECT whose result columns are the todo columns, in table order."""
    return text(sql).columns(
        _TODO.id, _TODO.title, _TODO.completed, _TODO.priority, _TODO.created_at, _TODO.updated_at
    )


def _with_types(sql: str, *names: str) -> TextClause:
    """A statement whose named parameters are bound with the todo columns' types."""
    return text(sql).bindparams(*(bindparam(name, type_=_TODO[name].type) for name in names))


INSERT_TODO = _with_types(
    "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (:title, :completed, :priority, :created_at, :created_at)"
    " RETURNING id",  # SQLite ≥ 3.35, PostgreSQL and MariaDB ≥ 10.5 all support RETURNING
    "created_at",
)

SELECT_TODO = _todos_query(
    "SELECT id, title, completed, priority, created_at, updated_at FROM todos WHERE id = :id"
)

SELECT_TODO_FOR_UPDATE: dict[str, TextualSelect] = {
    # SQLite has no row locks; the transaction began IMMEDIATE and already holds the write lock.
    "sqlite": SELECT_TODO,
    "postgresql": _todos_query(
        "SELECT id, title, completed, priority, created_at, updated_at FROM todos"
        " WHERE id = :id FOR UPDATE"
    ),
    "mysql": _todos_query(
        "SELECT id, title, completed, priority, created_at, updated_at FROM todos"
        " WHERE id = :id FOR UPDATE"
    ),
}

LIST_TODOS = _todos_query(
    "SELECT id, title, completed, priority, created_at, updated_at FROM todos"
    " ORDER BY id LIMIT :limit OFFSET :offset"
)

LIST_TODOS_BY_COMPLETED = _todos_query(
    "SELECT id, title, completed, priority, created_at, updated_at FROM todos"
    " WHERE completed = :completed ORDER BY id LIMIT :limit OFFSET :offset"
)

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
