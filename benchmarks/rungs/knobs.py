"""ORM knobs: one idiomatic setting each, measured against the ORM variant as shipped.

Each knob is a rung named ``<orm variant>+<knob>`` whose ratios are taken against the ORM
variant's rung — the registry's first sync variant of family ``orm`` — and whose code is that
variant's (its ``db.open_unit``, ``repository`` and mapped ``models.Todo``) with the one knob
changed. A knob implements only the operations it applies to. With no ORM variant registered
there are no knobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.ladder import PSYCOPG, async_variants, family_variant
from benchmarks.registry import (
    OPERATIONS,
    ExtraStatements,
    Implementation,
    Rung,
    series_operations,
)
from benchmarks.rungs.variants import awaiting_variant_rung
from benchmarks.workloads import LIST_COMPLETED, list_filter
from todo_contract.clock import utc_now
from todo_contract.params import TodoFilter
from todo_contract.schemas import TodoCreate, TodoRead
from todo_contract.table import todo_tags
from todo_contract.variants import Variant

COLUMN_NAMES = ("id", "title", "completed", "priority", "created_at", "updated_at")
KNOBS = {
    "expire_on_commit": "Session() with its default expire_on_commit=True: reading the todo "
    "after commit reloads it with another SELECT",
    "columns": "select(Todo.id, Todo.title, …) columns instead of Todo entities, and the "
    "page's tags as (todo_id, name) rows: rows, no objects, no identity map",
    "identity_map": "session.get in a Session that already holds the todo: the identity map "
    "answers, no SQL",
    "bulk_insert": "session.execute(insert(Todo), [dicts]): ORM bulk INSERT, no Todo objects",
    "yield_per": "select(Todo).execution_options(yield_per=100): objects built in batches of "
    "100, then the tags of all of them as rows",
}


def knob_implementations(orm: Variant) -> dict[str, dict[str, Implementation]]:
    """Per knob, its implementations on ``orm``'s own code."""
    open_session = orm.module("db").open_unit
    repository = orm.module("repository")
    todo = orm.module("models").Todo
    tag = orm.module("models").Tag
    load_tags = repository.load_tags
    columns = (
        todo.id,
        todo.title,
        todo.completed,
        todo.priority,
        todo.created_at,
        todo.updated_at,
    )

    def create_expiring(bench: BenchDatabase, data: TodoCreate) -> TodoRead:
        """The repository's create_todo in a default Session: its steps, since after the
        commit the todo is expired and its tags (``lazy="raise"``) cannot reload on access, so
        it is read back with the repository's loader option (the todo, then its tags)."""
        now = utc_now()
        with Session(bench.database.writes) as session:
            created = todo(**data.model_dump(exclude={"tags"}), created_at=now, updated_at=now)
            created.tag_objects = repository._tags_named(session, data.tags)
            session.add(created)
            session.flush()
            todo_id = created.id
            session.commit()
            reloaded = session.get(todo, todo_id, options=[load_tags()], populate_existing=True)
            return TodoRead.model_validate(reloaded)

    def update_expiring(
        bench: BenchDatabase, change: tuple[int, dict[str, Any]]
    ) -> TodoRead | None:
        """The repository's update_todo in a default Session."""
        with Session(bench.database.writes) as session:
            return repository.update_todo(session, *change)  # type: ignore[no-any-return]

    def with_tags(session: Session, rows: Sequence[Row[Any] | dict[str, Any]]) -> list[TodoRead]:
        """The todos of ``rows`` with their tags, read as (todo_id, name) rows in one more
        SELECT, as the repository's selectinload does."""
        values = [row if isinstance(row, dict) else row._asdict() for row in rows]
        names: dict[int, list[str]] = {row["id"]: [] for row in values}
        if names:
            tag_rows = session.execute(
                select(todo_tags.c.todo_id, tag.name)
                .join(tag, tag.id == todo_tags.c.tag_id)
                .where(todo_tags.c.todo_id.in_(names))
            )
            for todo_id, name in tag_rows:
                names[todo_id].append(name)
        return [TodoRead(**row, tags=names[row["id"]]) for row in values]

    def list_columns(query: TodoFilter) -> Implementation:
        def perform(bench: BenchDatabase, _: object) -> list[TodoRead]:
            """select(columns) rows, no objects; the page's tags as rows."""
            statement = select(*columns).order_by(todo.id).limit(query.limit)
            statement = statement.offset(query.offset)
            if query.completed is not None:
                statement = statement.where(todo.completed == query.completed)
            with open_session(bench.database, write=False) as session:
                return with_tags(session, session.execute(statement).all())

        return perform

    def get_one_columns(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
        """select(columns).where(id) instead of session.get; its tags as rows."""
        with open_session(bench.database, write=False) as session:
            rows = session.execute(select(*columns).where(todo.id == todo_id)).all()
            found = with_tags(session, rows)
            return found[0] if found else None

    def get_one_cached(bench: BenchDatabase, todo_id: int) -> TodoRead | None:
        """session.get in one long-lived Session: after the warm-up every todo asked for is
        in its identity map, so no SQL is sent (and the data may be stale: that is the trade)."""
        key = f"{orm.name}+identity_map session"
        session = bench.resources.get(key)
        if not isinstance(session, Session):
            session = open_session(bench.database, write=False)
            bench.resources[key] = session
            bench.closers.append(session.close)
        found: TodoRead | None = repository.get_todo(session, todo_id)
        session.commit()  # gives the connection back; expire_on_commit=False keeps the objects
        return found

    def seed_bulk(bench: BenchDatabase, items: list[TodoCreate]) -> int:
        """ORM bulk INSERT from a list of dicts."""
        now = utc_now()
        with Session(bench.database.writes) as session:
            session.execute(
                insert(todo),
                [{**item.model_dump(), "created_at": now, "updated_at": now} for item in items],
            )
            session.commit()
        return len(items)

    def list_1000_yield_per(bench: BenchDatabase, _: object) -> list[TodoRead]:
        """Stream mapped objects in batches of 100, then read their tags as rows.

        Not selectinload per batch: its SELECT would be sent while the stream is open, and
        PyMySQL (MariaDB) cannot do that: it warns and drops the rest of the stream (100
        todos came back instead of 1,000). So the tags come once the stream is read."""
        statement = select(todo).order_by(todo.id).limit(1000)
        statement = statement.execution_options(yield_per=100)
        with open_session(bench.database, write=False) as session:
            streamed = [
                {name: getattr(item, name) for name in COLUMN_NAMES}
                for item in session.scalars(statement)
            ]
            return with_tags(session, streamed)

    return {
        "expire_on_commit": {"create": create_expiring, "update": update_expiring},
        "columns": {
            "get_one": get_one_columns,
            **{
                name: list_columns(list_filter(OPERATIONS[name].rows))
                for name in series_operations("list")
            },
            "list_completed": list_columns(LIST_COMPLETED),
        },
        "identity_map": {"get_one": get_one_cached},
        "bulk_insert": dict.fromkeys(series_operations("insert"), seed_bulk),
        "yield_per": {"list_1000": list_1000_yield_per},
    }


RELOAD_AFTER_COMMIT = ExtraStatements(
    at_most=2,
    why="expire_on_commit=True expires the todo at commit; reading it back reloads it with "
    "one more SELECT, and its tags with another",
)
EXTRA_STATEMENTS = {
    "expire_on_commit": {"create": RELOAD_AFTER_COMMIT, "update": RELOAD_AFTER_COMMIT},
}
"""Per knob, the operations on which it sends more statements than the ORM as shipped: the
extra SELECT is what the knob costs, so it is declared for the query-count gate."""


def knob_rungs() -> list[Rung]:
    """The knob rungs on the first registered sync ORM variant (none without one)."""
    orm = family_variant("orm")
    if orm is None:
        return []
    implementations = knob_implementations(orm)
    return [
        Rung(
            f"{orm.name}+{knob}",
            description,
            orm.name,
            implementations[knob],
            dict(EXTRA_STATEMENTS.get(knob, {})),
        )
        for knob, description in KNOBS.items()
    ]


PSYCOPG_DESCRIPTION = (
    "the same async code on psycopg 3's async mode instead of asyncpg (PostgreSQL only): "
    "against the variant, what the driver changes; against the sync twin, what asyncio "
    "changes with the driver held"
)


def async_knob_rungs() -> list[Rung]:
    """The psycopg knob on the first registered async variant of hand-written SQL
    (``core-async+psycopg``): PostgreSQL only, where the async variant's own driver (asyncpg)
    is not the sync one's (psycopg)."""
    sql = next((v for v in async_variants() if v.family == "sql"), None)
    if sql is None:
        return []
    return [
        awaiting_variant_rung(
            sql,
            driver=PSYCOPG,
            name=f"{sql.name}+{PSYCOPG}",
            description=PSYCOPG_DESCRIPTION,
            rung_baseline=sql.name,
            backends=("postgresql",),
        )
    ]
