"""The database server itself stops and starts again while the app runs.

``test_outages.py`` locks the app's login out of the shared servers; here a private server
(``shared_tests.private_servers``) is really shut down and started again, so the app meets
what an operator's restart does: refused connections while it is down, and pooled
connections that the server closed. The app runs in process: the engine, pool and request
handling are those of the real server, and the test can check the pool afterwards.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared_tests.app_database import hold_connection, pool_of
from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from shared_tests.helpers import create_todo
from shared_tests.private_servers import PrivateServer, database_with_login

pytestmark = pytest.mark.slow  # private database servers stopped and restarted

ANSWER_BOUND_S = 10.0
"""A request must be answered well within this while the server is down (no hang, no wait
for the pool); generous because the machine is shared, and no speed is asserted below it."""

LEAKS = re.compile(r"Traceback|File \"|SELECT|INSERT|UPDATE|DELETE FROM|://|psycopg|pymysql")


@pytest.fixture
def login(private_server: PrivateServer) -> Iterator[tuple[str, str]]:
    """The app's database URL on the private server, and the password in it."""
    with database_with_login(private_server) as url_and_password:
        yield url_and_password


def assert_short_and_clean(detail: str, password: str) -> None:
    """A client-facing error: one short line with no trace, SQL, driver, URL or password."""
    assert len(detail) <= 120 and "\n" not in detail, detail
    assert not LEAKS.search(detail), detail
    assert password not in detail


def test_while_the_server_is_stopped_every_request_gets_a_short_503_quickly(
    create_app: AppFactory,
    private_server: PrivateServer,
    login: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, password = login
    app = create_app(url)
    with TestClient(app) as client:
        todo = create_todo(client, title="written before the stop")
        private_server.stop()
        with caplog.at_level(logging.ERROR, logger="todo_contract"):
            for method, path, body in (
                ("POST", "/todos", {"title": "written while stopped"}),
                ("GET", f"/todos/{todo['id']}", None),
                ("GET", "/todos", None),
                ("GET", "/todos/count", None),
                ("PATCH", f"/todos/{todo['id']}", {"completed": True}),
                ("PUT", f"/todos/{todo['id']}", {"title": "t", "completed": True, "priority": 1}),
                ("DELETE", f"/todos/{todo['id']}", None),
            ):
                started = time.monotonic()
                response = client.request(method, path, json=body)
                took = time.monotonic() - started
                assert response.status_code == 503, (method, path, response.text)
                assert took < ANSWER_BOUND_S, f"{method} {path} took {took:.1f}s"
                assert response.json()["detail"].startswith("Database unavailable")
                assert_short_and_clean(response.json()["detail"], password)
            health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert_short_and_clean(health.json()["detail"], password)
        assert_no_checked_out_connections(app)
    logged = [record.getMessage() for record in caplog.records]
    assert len([line for line in logged if "database error on" in line]) == 7, logged
    assert not any(password in line for line in logged), "the password reached the log"


def test_once_the_server_is_back_the_app_recovers_by_itself_with_nothing_lost(
    create_app: AppFactory, private_server: PrivateServer, login: tuple[str, str]
) -> None:
    app = create_app(login[0])
    with TestClient(app) as client:
        kept = create_todo(client, title="written before the stop", priority=3)
        private_server.stop()
        assert client.post("/todos", json={"title": "refused"}).status_code == 503
        assert client.get("/health").status_code == 503
        private_server.start()

        first = client.get(f"/todos/{kept['id']}")  # the first request after the start
        assert first.status_code == 200, first.text
        assert first.json() == kept
        assert client.get("/todos/count").json()["total"] == 1, "a refused write was stored"
        assert client.get("/health").json() == {"status": "ok"}
        again = create_todo(client, title="written after the start")
        assert client.get("/todos").json() == [kept, again]
        assert_no_checked_out_connections(app)


POOLED = 4
"""Connections left idle in the pool before the restart, so that every one of them is dead
when requests come back (more than one request will want one)."""


def test_a_quick_restart_between_two_requests_is_invisible_to_them(
    create_app: AppFactory, private_server: PrivateServer, login: tuple[str, str]
) -> None:
    """Every pooled connection is pinged before use (``pool_pre_ping``): a dead one is replaced
    and the rest of the pool renewed, so no request after the restart sees an error."""
    app = create_app(login[0])
    with TestClient(app) as client:
        held = [hold_connection(client) for _ in range(POOLED)]
        for connection in held:
            connection.execute(text("SELECT 1"))
            connection.close()
        assert pool_of(app).checkedin() == POOLED

        before = create_todo(client, title="before the restart")
        private_server.restart()
        statuses = [client.get(f"/todos/{before['id']}").status_code]
        statuses += [
            client.post("/todos", json={"title": f"after the restart {n}"}).status_code
            for n in range(POOLED)
        ]
        assert statuses == [200] + [201] * POOLED
        assert client.get("/todos/count").json()["total"] == 1 + POOLED
        assert_no_checked_out_connections(app)
