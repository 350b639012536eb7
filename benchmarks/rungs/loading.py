"""Loading strategies: how a page of todos gets its tags, rung by rung.

The ORM variant as shipped loads them with ``selectinload`` (``orm_app.repository.load_tags``:
the page, then one SELECT of the page's tags per 500 todos). Each strategy rung
(``<orm variant>+<strategy>``, measured against the variant) sends the repository's own page
query with one loader option changed:

- ``lazy``: ``lazyload`` — each todo's tags are loaded when first read, one SELECT per todo:
  the N+1 trap (21 statements for a page of 20, 1,001 for 1,000). The model forbids it
  (``lazy="raise"``); this rung switches it back on to measure what it would cost.
- ``joinedload``: the tags LEFT OUTER JOINed into the page's SELECT (the page becomes a
  subquery, since it has a LIMIT; one result row per todo and tag).
- ``subqueryload``: a second SELECT that joins the page's query, as a subquery, to the tags.

``raiseload`` has no rung: the relationship is declared ``lazy="raise"``, so every query of
the variant that does not ask for the tags (the count, the tag counts, a delete) already runs
with it, and the ``orm`` rung *is* its measurement; the operations that return todos need the
tags, where raiseload would only raise.

Hand-written SQL gets one more rung, on the SQL family's reference variant:
``<core>+two_statements``, the page without its tags, then ``core_app.queries.TAGS_OF_TODOS``
(``WHERE todo_id IN (…)``, all of the page's ids at once) — selectinload's shape written by
hand, against Core's one statement with a correlated aggregate.

Every strategy rung implements the lists that carry tags: ``list_20``, ``list_1000``, and
``list_by_tag`` (which only the ``relationships`` and ``full`` profiles measure).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload, lazyload, subqueryload
from sqlalchemy.orm.interfaces import ORMOption

from benchmarks.database import BenchDatabase
from benchmarks.ladder import family_variant, reference
from benchmarks.registry import ExtraStatements, Implementation, Rung
from benchmarks.workloads import LIST_BY_TAG, list_filter
from core_app import queries
from todo_contract.params import TodoFilter
from todo_contract.schemas import TodoRead
from todo_contract.table import todos
from todo_contract.variants import Variant

LOADING_OPERATIONS: dict[str, TodoFilter] = {
    "list_20": list_filter(20),
    "list_1000": list_filter(1000),
    "list_by_tag": LIST_BY_TAG,
}
"""The operations every loading-strategy rung implements, and the page each asks for."""

Strategy = Callable[[Any], ORMOption]
STRATEGIES: dict[str, tuple[Strategy, str]] = {
    "lazy": (
        lazyload,
        "lazyload: each todo's tags loaded when first read, one SELECT per todo (the N+1 "
        'trap the model\'s lazy="raise" forbids)',
    ),
    "joinedload": (
        joinedload,
        "joinedload: the tags LEFT OUTER JOINed into the page's SELECT (the limited page as "
        "a subquery, one row per todo and tag)",
    ),
    "subqueryload": (
        subqueryload,
        "subqueryload: a second SELECT joining the page's query, as a subquery, to the tags",
    ),
}
PER_TODO = "lazy"
"""The strategy whose statements grow with the page (one per todo): flagged in the report."""
TWO_STATEMENTS = "two_statements"
TWO_STATEMENTS_DESCRIPTION = (
    "hand-written SQL in two statements: the page without its tags, then "
    "core_app.queries.TAGS_OF_TODOS for all of its ids (selectinload's shape by hand)"
)


def page_statement(orm: Variant, query: TodoFilter, option: ORMOption) -> Any:
    """The ORM variant's page query (``repository.list_todos``'s) with ``option`` as its
    loader option instead of the repository's."""
    models = orm.module("models")
    todo, tag = models.Todo, models.Tag
    statement = select(todo).options(option).order_by(todo.id).limit(query.limit)
    statement = statement.offset(query.offset)
    if query.completed is not None:
        statement = statement.where(todo.completed == query.completed)
    if query.tag is not None:
        statement = statement.where(todo.tag_objects.any(tag.name == query.tag))
    return statement


def orm_lister(orm: Variant, query: TodoFilter, strategy: Strategy) -> Implementation:
    """The page with its tags loaded by ``strategy``, in a Session of the variant's own."""
    open_session = orm.module("db").open_unit
    tag_objects = orm.module("models").Todo.tag_objects
    statement = page_statement(orm, query, strategy(tag_objects))

    def perform(bench: BenchDatabase, _: object) -> list[TodoRead]:
        session: Session
        with open_session(bench.database, write=False) as session:
            # unique(): a joined collection repeats each todo once per tag
            return [TodoRead.model_validate(todo) for todo in session.scalars(statement).unique()]

    perform.__doc__ = f"{query}: tags by {strategy.__name__}"
    return perform


def two_statement_lister(sql: Variant, query: TodoFilter) -> Implementation:
    """The page's todos, then their tags with ``TAGS_OF_TODOS``, on the SQL variant's own
    Connection."""
    open_connection = sql.module("db").open_unit
    conditions = [
        *(["todos.completed = :completed"] if query.completed is not None else []),
        *([_CARRYING_THE_TAG] if query.tag is not None else []),
    ]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    page = text(
        f"SELECT {_TODO_COLUMNS} FROM todos{where} ORDER BY todos.id LIMIT :limit OFFSET :offset"
    ).columns(*(todos.c[name] for name in _TODO_COLUMN_NAMES))
    parameters: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if query.completed is not None:
        parameters["completed"] = query.completed
    if query.tag is not None:
        parameters["tag"] = query.tag

    def perform(bench: BenchDatabase, _: object) -> list[TodoRead]:
        with open_connection(bench.database, write=False) as connection:
            rows = connection.execute(page, parameters).all()
            names: dict[int, list[str]] = {row.id: [] for row in rows}
            if names:
                tag_rows = connection.execute(queries.TAGS_OF_TODOS, {"ids": list(names)})
                for todo_id, name in tag_rows:
                    names[todo_id].append(name)
        return [TodoRead(**row._asdict(), tags=names[row.id]) for row in rows]

    perform.__doc__ = f"{query}: the page, then TAGS_OF_TODOS"
    return perform


_TODO_COLUMN_NAMES = ("id", "title", "completed", "priority", "created_at", "updated_at")
_TODO_COLUMNS = ", ".join(f"todos.{name}" for name in _TODO_COLUMN_NAMES)
_CARRYING_THE_TAG = (
    "EXISTS (SELECT 1 FROM todo_tags JOIN tags ON tags.id = todo_tags.tag_id"
    " WHERE todo_tags.todo_id = todos.id AND tags.name = :tag)"
)
"""core_app's tag filter, as its list query writes it."""


def page_rows(operation: str) -> int:
    """Todos the page of ``operation`` holds at most."""
    return LOADING_OPERATIONS[operation].limit


def one_per_todo(operation: str) -> ExtraStatements:
    """lazyload's declaration: a SELECT per todo of the page instead of selectinload's one."""
    return ExtraStatements(
        at_most=page_rows(operation),
        why="lazyload sends one SELECT per todo of the page for its tags (N+1) where "
        "selectinload sends one per 500 todos",
    )


ONE_MORE_SELECT = ExtraStatements(
    at_most=1,
    why="the page's tags in a second statement (TAGS_OF_TODOS) instead of an aggregate in "
    "the page's own",
)


def loading_rungs() -> list[Rung]:
    """The strategy rungs on the first ORM variant, and the two-statement rung on the SQL
    reference variant (none of either without such a variant)."""
    rungs = []
    orm = family_variant("orm")
    if orm is not None:
        for name, (strategy, description) in STRATEGIES.items():
            implementations = {
                operation: orm_lister(orm, query, strategy)
                for operation, query in LOADING_OPERATIONS.items()
            }
            extra = (
                {operation: one_per_todo(operation) for operation in LOADING_OPERATIONS}
                if name == PER_TODO
                else {}
            )
            rungs.append(Rung(f"{orm.name}+{name}", description, orm.name, implementations, extra))
    sql = family_variant("sql")
    if sql is not None and sql.name == reference().name:
        implementations = {
            operation: two_statement_lister(sql, query)
            for operation, query in LOADING_OPERATIONS.items()
        }
        rungs.append(
            Rung(
                f"{sql.name}+{TWO_STATEMENTS}",
                TWO_STATEMENTS_DESCRIPTION,
                sql.name,
                implementations,
                dict.fromkeys(LOADING_OPERATIONS, ONE_MORE_SELECT),
            )
        )
    return rungs
