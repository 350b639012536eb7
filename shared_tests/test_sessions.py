"""No leaked sessions: every request gives its connection back, on every path.

The teaching app's third lesson was a ``get_db`` without ``yield``/``finally``: each request
kept a connection, and after a handful the app hung. The ``client`` fixture checks the pool
after every test in the suite; these tests push the pool to its limit on purpose.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from shared_tests.app_database import HeldConnection
from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from todo_contract.settings import Settings
from todo_contract.variants import variant

ONE_CONNECTION = Settings(pool_size=1, pool_max_overflow=0, pool_timeout=2)


def test_a_one_connection_pool_serves_many_requests_including_every_error_path(
    create_app: AppFactory, database_url: str
) -> None:
    app = create_app(database_url, settings=ONE_CONNECTION)
    with TestClient(app) as client:
        for round_number in range(10):
            created = client.post("/todos", json={"title": f"todo {round_number}"})
            assert created.status_code == 201
            todo_id = created.json()["id"]
            assert client.get(f"/todos/{todo_id}").status_code == 200
            assert client.get("/todos?completed=true").status_code == 200
            assert client.get("/todos/count").status_code == 200
            assert client.patch(f"/todos/{todo_id}", json={"priority": 1}).status_code == 200
            assert client.put(f"/todos/{todo_id}", json={"title": "x"}).status_code == 422
            assert client.get("/todos/999999").status_code == 404
            assert client.patch("/todos/999999", json={"priority": 1}).status_code == 404
            assert client.post("/todos", json={"title": ""}).status_code == 422
            assert client.delete(f"/todos/{todo_id}").status_code == 204
            assert client.delete(f"/todos/{todo_id}").status_code == 404
            assert client.get("/health").status_code == 200
            assert_no_checked_out_connections(app)


def test_the_leak_check_catches_a_dependency_without_finally(
    app_kind: str, create_app: AppFactory, database_url: str
) -> None:
    """The check used after every test must itself fail when a request leaks."""
    app = create_app(database_url)
    held: list[Connection | AsyncConnection] = []  # what still references the unclosed one

    def leaky_connection() -> Iterator[Connection]:
        connection = app.state.database.engine.connect()
        held.append(connection)
        yield connection  # no try/finally, no close(): the connection never returns

    async def leaky_async_connection() -> AsyncIterator[AsyncConnection]:
        connection = await app.state.database.engine.connect()
        held.append(connection)
        yield connection  # the same mistake in the asyncio flavour

    leaky = leaky_connection if variant(app_kind).style == "sync" else leaky_async_connection

    @app.get("/leak")
    def leak(connection: Any = Depends(leaky)) -> dict[str, str]:  # noqa: B008
        return {"leaked": str(id(connection))}

    with TestClient(app) as client:
        assert client.get("/leak").status_code == 200
        with pytest.raises(AssertionError, match="1 connection"):
            assert_no_checked_out_connections(app)
        HeldConnection(client, held.pop()).close()
        assert_no_checked_out_connections(app)


def test_sessions_and_connections_are_closed_when_the_route_raises(
    create_app: AppFactory, database_url: str
) -> None:
    app = create_app(database_url, settings=ONE_CONNECTION)
    with TestClient(app) as client:
        for _ in range(5):
            assert client.get("/todos/12345").status_code == 404
            assert client.delete("/todos/12345").status_code == 404
        assert client.post("/todos", json={"title": "still served"}).status_code == 201
        assert_no_checked_out_connections(app)
