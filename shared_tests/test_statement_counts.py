"""No N+1: the statements a request sends do not grow with the todos or tags it handles.

Tags are the API's one relationship, where an ORM loading each todo's tags on first touch
sends one SELECT per todo (the N+1 trap), and hand-written SQL could do the same with a loop.
Each read is sent with pages of 1, 20 and 100 tagged todos, one todo with 1 and with 20 tags,
and pages of 1, 20 and 100 tags; each write with 1 and with 20 tags, new and existing ones.
SQLAlchemy's ``before_cursor_execute`` event counts what reaches the driver (an executemany is
one statement); the counts must be equal.

The counting listener goes on an app of the test's own (``app``, ``app_client``), never on the
shared one behind ``client``: SQLAlchemy keeps dispatching engine events after the last
listener is removed, which would slow every later test on the shared app. The check itself is
shown to catch the trap: ``orm_app``'s tag loading swapped for ``lazyload`` must fail it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, insert, select
from sqlalchemy.orm import lazyload

import orm_app.repository
from orm_app.models import Todo
from shared_tests.app_database import engine_of, in_write_transaction
from shared_tests.templates import Templates
from todo_contract.clock import utc_now
from todo_contract.table import tags, todo_tags, todos
from todo_contract.variants import variant, variants

PAGES = (1, 20, 100)
TODOS = max(PAGES)
MANY_TAGS = 20


def seed(client: TestClient) -> None:
    """``TODOS`` todos, each tagged ``common``, ``own-NNN`` and one of five groups, written
    directly (fast, and before anything is counted); then todos ``TODOS + 1`` and
    ``TODOS + 2`` with 1 tag and ``TODOS + 3`` with ``MANY_TAGS``. Ids are the database's
    own, from 1 on the test's fresh database."""
    now = utc_now()
    row = {"completed": False, "priority": 0, "created_at": now, "updated_at": now}
    names = ["common", *(f"group-{n}" for n in range(5)), *(f"own-{n:03}" for n in range(TODOS))]
    names += [f"many-{n:02}" for n in range(MANY_TAGS)]
    carried = [
        (todo_id, name)
        for todo_id in range(1, TODOS + 1)
        for name in ("common", f"group-{todo_id % 5}", f"own-{todo_id - 1:03}")
    ]
    carried += [(TODOS + 1, "common"), (TODOS + 2, "common")]
    carried += [(TODOS + 3, f"many-{n:02}") for n in range(MANY_TAGS)]

    def write(connection: Connection) -> None:
        connection.execute(insert(todos), [{"title": f"todo {n}", **row} for n in range(TODOS + 3)])
        assert connection.scalar(select(func.max(todos.c.id))) == TODOS + 3
        connection.execute(insert(tags), [{"name": name} for name in names])
        tag_id = dict(connection.execute(select(tags.c.name, tags.c.id)).all())
        connection.execute(
            insert(todo_tags), [{"todo_id": t, "tag_id": tag_id[name]} for t, name in carried]
        )

    in_write_transaction(client, write)


class StatementCounter:
    """The statements each request sends, counted at the driver's cursor."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.statements: list[str] = []

    def record(self, *args: Any) -> None:
        self.statements.append(args[2])  # (conn, cursor, statement, parameters, context, many)

    def statements_for(
        self, path: str, expected_items: int | None = None, method: str = "GET", body: Any = None
    ) -> int:
        """How many statements ``method path`` sent (checking it answered ``expected_items``)."""
        self.statements.clear()
        response = self.client.request(method, path, json=body)
        assert response.status_code in (200, 201), response.text
        if expected_items is not None:
            body = response.json()
            assert len(body if isinstance(body, list) else body["tags"]) == expected_items, path
        return len(self.statements)


@contextmanager
def counting_statements(app: FastAPI, client: TestClient) -> Iterator[StatementCounter]:
    """A ``StatementCounter`` listening on the app's engine (its write view shares the
    listener) until the block ends."""
    counter = StatementCounter(client)
    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", counter.record)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.record)


def assert_statements_do_not_grow(what: str, counts: Mapping[int, int]) -> None:
    """``counts`` maps a size (todos in the page, tags on the todo) to the statements sent."""
    if len(set(counts.values())) != 1:
        raise AssertionError(f"{what}: the statements grow with the size: {dict(counts)}")


def new_names(count: int, prefix: str) -> list[str]:
    """``count`` tags never used before, half of them in the seeded data's words."""
    return [f"{prefix.lower()}-{count}-{n}" if n % 2 else f"own-{n:03}" for n in range(count)]


def page_counts(counter: StatementCounter, query: str) -> dict[int, int]:
    return {
        size: counter.statements_for(f"/todos?{query}limit={size}", expected_items=size)
        for size in PAGES
    }


def test_no_read_sends_more_statements_for_more_todos_or_tags(
    app: FastAPI, app_client: TestClient, subtests: pytest.Subtests
) -> None:
    seed(app_client)
    with counting_statements(app, app_client) as counter:
        with subtests.test(endpoint="GET /todos"):
            assert_statements_do_not_grow("GET /todos", page_counts(counter, ""))
        with subtests.test(endpoint="GET /todos?tag="):
            counts = page_counts(counter, "tag=common&")
            assert_statements_do_not_grow("GET /todos?tag=", counts)
        with subtests.test(endpoint="GET /todos?tag=&completed="):
            counts = page_counts(counter, "tag=Common&completed=false&")
            assert_statements_do_not_grow("GET /todos?tag=&completed=", counts)
        with subtests.test(endpoint="GET /todos/{id}"):
            counts = {
                1: counter.statements_for(f"/todos/{TODOS + 1}", expected_items=1),
                MANY_TAGS: counter.statements_for(f"/todos/{TODOS + 3}", expected_items=MANY_TAGS),
            }
            assert_statements_do_not_grow("GET /todos/{id}", counts)
        with subtests.test(endpoint="GET /tags"):
            counts = {
                size: counter.statements_for(f"/tags?limit={size}", expected_items=size)
                for size in PAGES
            }
            assert_statements_do_not_grow("GET /tags", counts)
            assert counts[1] == 1, "GET /tags is one aggregate query"
        with subtests.test(endpoint="POST /todos with tags"):
            counts = {
                size: counter.statements_for(
                    "/todos", size, "POST", {"title": "t", "tags": new_names(size, "post")}
                )
                for size in (1, MANY_TAGS)
            }
            assert_statements_do_not_grow("POST /todos with tags", counts)
        with subtests.test(endpoint="PATCH /todos/{id} with tags"):
            # Two todos that carry the same one tag, re-tagged with 1 and with 20.
            counts = {
                size: counter.statements_for(
                    f"/todos/{todo_id}", size, "PATCH", {"tags": new_names(size, "patch")}
                )
                for size, todo_id in ((1, TODOS + 1), (MANY_TAGS, TODOS + 2))
            }
            assert_statements_do_not_grow("PATCH /todos/{id} with tags", counts)


def test_the_check_catches_an_orm_that_loads_each_todos_tags_lazily(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above, on purpose-built bad input: ``orm_app`` loading tags with
    ``lazyload`` (one SELECT per todo, on first touch) instead of ``selectinload`` must fail
    it, with the page and then one statement per todo: 1 + N."""
    monkeypatch.setattr(orm_app.repository, "load_tags", lambda: lazyload(Todo.tag_objects))
    app = variant("orm").create_app(database_url)
    with TestClient(app) as client:
        seed(client)
        with counting_statements(app, client) as counter:
            counts = page_counts(counter, "")
            tagged = page_counts(counter, "tag=common&")

    assert counts == {size: 1 + size for size in PAGES}
    assert tagged == {size: 1 + size for size in PAGES}
    for what, bad in (("GET /todos", counts), ("GET /todos?tag=", tagged)):
        with pytest.raises(AssertionError, match="the statements grow with the size"):
            assert_statements_do_not_grow(what, bad)


TWIN_SCRIPT: list[tuple[str, str, Any]] = [
    ("GET", f"/todos?limit={TODOS}", None),
    ("GET", "/todos?tag=common&completed=false&limit=20", None),
    ("GET", f"/todos/{TODOS + 3}", None),
    ("GET", "/todos/count", None),
    ("GET", "/tags?limit=20", None),
    ("POST", "/todos", {"title": "t", "tags": new_names(MANY_TAGS, "post")}),
    ("PATCH", f"/todos/{TODOS + 2}", {"tags": new_names(MANY_TAGS, "patch")}),
    ("PUT", f"/todos/{TODOS + 1}", {"title": "u", "completed": True, "priority": 1}),
    ("DELETE", f"/todos/{TODOS}", None),
    ("GET", "/health", None),
]
"""Every endpoint once, the writes with 20 tags, on the seeded todos."""


def statements_per_request(app_kind: str, database_url: str) -> list[int]:
    """The statements each request of ``TWIN_SCRIPT`` sends, on a fresh app of ``app_kind``."""
    app = variant(app_kind).create_app(database_url)
    with TestClient(app) as client:
        seed(client)
        with counting_statements(app, client) as counter:
            counts = []
            for method, path, body in TWIN_SCRIPT:
                counter.statements.clear()
                response = client.request(method, path, json=body)
                assert response.status_code < 300, (app_kind, method, path, response.text)
                counts.append(len(counter.statements))
    return counts


@pytest.mark.parametrize("async_kind", [v.name for v in variants(style="async")])
def test_each_async_app_sends_the_statements_its_sync_twin_sends(
    async_kind: str, backend: str, templates: Templates, tmp_path: Path
) -> None:
    """Asyncio changes how the app waits for the database, not what it asks: the async
    flavour of each family sends, request for request, as many statements as the sync one."""
    family = variant(async_kind).family
    twin = next(v.name for v in variants(style="sync") if v.family == family)
    counts = {}
    for kind in (twin, async_kind):
        (tmp_path / kind).mkdir()
        with templates.copy(backend, tmp_path / kind) as url:
            counts[kind] = statements_per_request(kind, url)
    paths = [f"{method} {path}" for method, path, _ in TWIN_SCRIPT]
    assert counts[async_kind] == counts[twin], list(
        zip(paths, counts[twin], counts[async_kind], strict=True)
    )
