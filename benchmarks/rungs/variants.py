"""One data-layer rung per registered variant, built from the variant's own code.

Each operation opens its unit of work with the variant's ``db.open_unit(database, write=...)``
— the function its request dependency calls, on the same kind of ``Database`` handle the app
holds — and calls the variant's ``repository`` function for it, as the operation's record
says (``benchmarks.registry.OPERATIONS``). So a rung cannot drift from its app.

The insert series (``insert_1``, ``insert_10``, ``insert_100``, ``seed_1000``: N rows in one
transaction) has no repository function (the API creates one todo at a time); it is written
once per *family*, the way code of that family would seed: the ORM adds N mapped objects and
commits, hand-written SQL executes one INSERT with N parameter sets.

An async variant's rung (style ``async``) is the same, awaited: its ``open_unit`` on the
``AsyncDatabase`` an async app holds (``benchmarks.awaiting.async_database``), its
repository's coroutine, and the family's bulk insert written with ``await``. It is measured
with the awaiting sampler (``Rung.awaits``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy import text

from benchmarks.awaiting import async_database, async_engine_counting
from benchmarks.database import BenchDatabase
from benchmarks.ladder import baseline, bench_variants
from benchmarks.registry import (
    OPERATIONS,
    ExtraStatements,
    Implementation,
    Operation,
    RepositoryCall,
    Rung,
    series_operations,
)
from benchmarks.workloads import SEED_ROWS
from todo_contract.clock import utc_now
from todo_contract.schemas import TodoCreate
from todo_contract.variants import Variant

OpenUnit = Callable[..., Any]

INSERT_MANY = text(
    "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
    " VALUES (:title, :completed, :priority, :created_at, :created_at)"
)
"""The SQL family's bulk insert: the app's INSERT without RETURNING, for executemany."""


def through_repository(
    open_unit: OpenUnit, repository: ModuleType, operation: Operation, call: RepositoryCall
) -> Implementation:
    """Perform ``operation`` with the variant's repository, in a unit of work of its own."""
    write = operation.writes

    def perform(bench: BenchDatabase, argument: Any) -> Any:
        with open_unit(bench.database, write=write) as unit:
            return call(repository, unit, argument)

    perform.__doc__ = f"{repository.__name__}, {operation.description}, in its own unit of work"
    return perform


def awaiting_through_repository(
    open_unit: OpenUnit,
    repository: ModuleType,
    operation: Operation,
    call: RepositoryCall,
    driver: str | None = None,
) -> Implementation:
    """Perform ``operation`` with an async variant's repository, in a unit of work of its own
    (an ``AsyncSession``, or an ``AsyncConnection`` whose ``open_unit`` is a coroutine)."""
    write = operation.writes

    async def perform(bench: BenchDatabase, argument: Any) -> Any:
        unit = open_unit(async_database(bench, driver), write=write)
        if inspect.isawaitable(unit):
            unit = await unit  # an AsyncConnection, already started
        try:
            return await call(repository, unit, argument)
        finally:
            await unit.close()  # as the app's dependency closes it

    perform.__doc__ = f"{repository.__name__}, {operation.description}, awaited in its own unit"
    return perform


def mapped_todo(variant: Variant) -> Any:
    """The variant's mapped ``Todo``: from its ``models`` module, or, for a variant that maps
    nothing of its own (``orm_app.aio`` reuses ``orm_app.models``), the one its repository
    uses."""
    try:
        return variant.module("models").Todo
    except ModuleNotFoundError:
        return variant.module("repository").Todo


def awaiting_orm_bulk_insert(
    open_unit: OpenUnit, todo: Any, driver: str | None = None
) -> Implementation:
    """The ORM's unit of work on asyncio: add_all N mapped objects, one awaited commit."""

    async def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        now = utc_now()
        async with open_unit(async_database(bench, driver), write=True) as session:
            session.add_all(
                todo(**item.model_dump(exclude={"tags"}), created_at=now, updated_at=now)
                for item in items
            )
            await session.commit()
        return len(items)

    return insert_rows


def awaiting_sql_bulk_insert(open_unit: OpenUnit, driver: str | None = None) -> Implementation:
    """Hand-written SQL on asyncio: one text() INSERT executed with N parameter sets."""

    async def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        now = utc_now()
        connection = await open_unit(async_database(bench, driver), write=True)
        try:
            async with connection.begin():
                await connection.execute(
                    INSERT_MANY, [{**item.model_dump(), "created_at": now} for item in items]
                )
        finally:
            await connection.close()
        return len(items)

    return insert_rows


def orm_bulk_insert(open_unit: OpenUnit, models: ModuleType) -> Implementation:
    """The ORM's idiomatic unit of work: add_all N mapped objects, one commit."""
    todo = models.Todo

    def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        now = utc_now()
        with open_unit(bench.database, write=True) as session:
            session.add_all(
                todo(**item.model_dump(exclude={"tags"}), created_at=now, updated_at=now)
                for item in items
            )
            session.commit()
        return len(items)

    return insert_rows


def sql_bulk_insert(open_unit: OpenUnit) -> Implementation:
    """Hand-written SQL: one text() INSERT executed with N parameter sets."""

    def insert_rows(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        now = utc_now()
        with open_unit(bench.database, write=True) as connection, connection.begin():
            connection.execute(
                INSERT_MANY, [{**item.model_dump(), "created_at": now} for item in items]
            )
        return len(items)

    return insert_rows


def add_all_statements(rows: int) -> ExtraStatements:
    """The ORM's insert of ``rows`` objects sends up to ``rows`` INSERTs where hand-written
    SQL sends one ``executemany``: that is the idiomatic code's real cost, so it is
    declared, not hidden."""
    return ExtraStatements(
        at_most=rows - 1,
        why="add_all flushes one INSERT per object where the dialect cannot batch them with "
        "RETURNING (SQLite): up to one statement per row against one executemany",
    )


SELECTIN_CHUNK = 500
"""How many parent ids one ``selectinload`` SELECT carries (SQLAlchemy's chunk size): a page
of 1,000 todos loads its tags with two."""


def tag_loading_statements(rows: int) -> ExtraStatements:
    """The ORM loads the tags of the todos it returns with ``selectinload``: one more SELECT
    per chunk of 500 todos, where hand-written SQL aggregates them in the same statement."""
    return ExtraStatements(
        at_most=-(-rows // SELECTIN_CHUNK),
        why="selectinload loads the todos' tags with one more SELECT (one per 500 todos) "
        "where Core aggregates them into the todo's own row",
    )


def tag_loading_operations() -> dict[str, ExtraStatements]:
    """Per operation that returns todos, the tag SELECTs the ORM sends beyond Core's: a get
    or an update returns one todo, a list ``rows`` of them."""
    extra = {
        name: tag_loading_statements(max(1, operation.rows))
        for name, operation in OPERATIONS.items()
        if operation.returns_todos
    }
    return extra | TAG_WRITES


TAG_WRITES = {
    "create_tagged": ExtraStatements(
        at_most=1,
        why="the ORM reads the tags back as Tag objects (SELECT … FOR SHARE) to attach them, "
        "where Core attaches them with one INSERT … SELECT",
    ),
    "replace_tags": ExtraStatements(
        at_most=2,
        why="selectinload loads the todo's old tags, and the new ones are read back as Tag "
        "objects to attach them (Core: INSERT … SELECT)",
    ),
}
"""The tag writes: what the ORM's relationship sends beyond Core's statements."""


ADD_ALL_STATEMENTS = add_all_statements(SEED_ROWS)
INSERT_SERIES = series_operations("insert")
"""The bulk inserts every family implements: N rows in one transaction."""


def family_extra_statements(variant: Variant) -> dict[str, ExtraStatements]:
    """What a variant of the ORM family declares beyond Core's statements: its tags'
    SELECTs and add_all's INSERTs (nothing for hand-written SQL)."""
    if variant.family != "orm":
        return {}
    extra = tag_loading_operations()
    for name in INSERT_SERIES:
        rows = OPERATIONS[name].rows
        if rows > 1:
            extra[name] = add_all_statements(rows)
    return extra


def variant_rung(variant: Variant) -> Rung:
    """The variant's rung: every operation through its repository, plus its family's bulk
    insert; ratios against its baseline variant's rung, or the raw driver."""
    if variant.style == "async":
        return awaiting_variant_rung(variant)
    open_unit = variant.module("db").open_unit
    repository = variant.module("repository")
    implementations = {
        name: through_repository(open_unit, repository, operation, operation.repository)
        for name, operation in OPERATIONS.items()
        if operation.repository is not None
    }
    if variant.family == "orm":
        insert_rows = orm_bulk_insert(open_unit, variant.module("models"))
    else:
        insert_rows = sql_bulk_insert(open_unit)
    implementations |= dict.fromkeys(INSERT_SERIES, insert_rows)
    return Rung(
        variant.name,
        variant.description,
        baseline(variant, "data"),
        implementations,
        family_extra_statements(variant),
    )


def awaiting_variant_rung(
    variant: Variant,
    *,
    driver: str | None = None,
    name: str | None = None,
    description: str | None = None,
    rung_baseline: str | None = None,
    backends: tuple[str, ...] | None = None,
) -> Rung:
    """An async variant's rung (or, with ``driver``, a knob on it that opens its handle on
    another driver): its repository's coroutines, awaited."""
    open_unit = variant.module("db").open_unit
    repository = variant.module("repository")
    implementations = {
        op_name: awaiting_through_repository(
            open_unit, repository, operation, operation.repository, driver
        )
        for op_name, operation in OPERATIONS.items()
        if operation.repository is not None
    }
    if variant.family == "orm":
        insert_rows = awaiting_orm_bulk_insert(open_unit, mapped_todo(variant), driver)
    else:
        insert_rows = awaiting_sql_bulk_insert(open_unit, driver)
    implementations |= dict.fromkeys(INSERT_SERIES, insert_rows)
    return Rung(
        name or variant.name,
        description or variant.description,
        rung_baseline or baseline(variant, "data"),
        implementations,
        family_extra_statements(variant),
        awaits=True,
        backends=backends,
        counting=async_engine_counting(driver),
    )


def variant_rungs() -> list[Rung]:
    """One rung per measured variant, in registration order."""
    return [variant_rung(variant) for variant in bench_variants()]
