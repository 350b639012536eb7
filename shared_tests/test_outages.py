"""A database that becomes unreachable: a quick 503, and recovery without a restart.

Pooled connections that died during the outage must not be handed to requests afterwards
(they are tested before use), and no request may hang waiting for the pool.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from shared_tests.outages import controllable_database


def test_while_the_database_is_unreachable_requests_get_503_and_then_the_app_recovers(
    create_app: AppFactory, backend: str, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with controllable_database(backend, database_url) as outage:
        app = create_app(outage.app_url)
        with TestClient(app) as client:
            todo = client.post("/todos", json={"title": "kept through the outage"}).json()
            assert client.get(f"/todos/{todo['id']}").status_code == 200

            outage.begin()
            for method, path, body in (
                ("POST", "/todos", {"title": "during the outage"}),
                ("GET", f"/todos/{todo['id']}", None),
                ("GET", "/todos/count", None),
            ):
                response = client.request(method, path, json=body)
                assert response.status_code == 503, (method, path, response.text)
                assert response.json()["detail"].startswith("Database unavailable")
                assert_logged_with_its_request_id(caplog, response.headers["X-Request-ID"])
            health = client.get("/health")
            assert health.status_code == 503
            assert_logged_with_its_request_id(caplog, health.headers["X-Request-ID"])
            assert health.json()["status"] == "unavailable"
            assert_no_checked_out_connections(app)

            outage.end()
            assert client.get("/health").json() == {"status": "ok"}
            assert client.get(f"/todos/{todo['id']}").json() == todo
            assert client.get("/todos/count").json()["total"] == 1, "the 503 write was stored"
            assert client.post("/todos", json={"title": "after"}).status_code == 201
            assert_no_checked_out_connections(app)


def test_connections_a_restarted_server_dropped_are_not_served_to_the_next_request(
    create_app: AppFactory, backend: str, database_url: str
) -> None:
    with controllable_database(backend, database_url) as outage:
        app = create_app(outage.app_url)
        with TestClient(app) as client:
            for _ in range(3):  # leave a few connections in the pool
                assert client.post("/todos", json={"title": "pooled"}).status_code == 201
            outage.begin()
            outage.end()  # like a server restart: every open connection is gone
            assert client.get("/todos/count").json()["total"] == 3
            assert client.post("/todos", json={"title": "right after"}).status_code == 201
            assert_no_checked_out_connections(app)


def assert_logged_with_its_request_id(caplog: pytest.LogCaptureFixture, request_id: str) -> None:
    """A 503 leaves an error line in the server log that names the request's id."""
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR and record.name == "todo_contract"
    ]
    assert any(line.startswith("503 ") and f"request_id={request_id}" in line for line in lines), (
        lines
    )
