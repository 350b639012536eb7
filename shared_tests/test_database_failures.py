"""When the database fails: a clear 503, a log line saying why, and nothing lost or leaked.

The teaching app's first lesson: delete the SQLite file while the server runs. Its open
connections keep writing into the deleted file and every write is acknowledged and lost.
These apps notice and refuse instead.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared_tests.backends import fresh_engine
from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from shared_tests.live_server import live_server
from todo_contract.migrate import current_revision, head_revision
from todo_contract.settings import Settings


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "todos.db"


@pytest.fixture
def sqlite_app(create_app: AppFactory, sqlite_path: Path) -> Iterator[FastAPI]:
    app = create_app(f"sqlite:///{sqlite_path}")
    yield app


def delete_database_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_after_the_sqlite_file_is_deleted_writes_get_503_and_nothing_is_acknowledged(
    sqlite_app: FastAPI, sqlite_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(sqlite_app) as client:
        kept = client.post("/todos", json={"title": "before"}).json()
        delete_database_file(sqlite_path)
        with caplog.at_level(logging.ERROR, logger="todo_contract"):
            for request in (
                client.build_request("POST", "/todos", json={"title": "lost?"}),
                client.build_request("PATCH", f"/todos/{kept['id']}", json={"completed": True}),
                client.build_request("DELETE", f"/todos/{kept['id']}"),
                client.build_request("GET", "/todos"),
            ):
                response = client.send(request)
                assert response.status_code == 503, request
                assert "was deleted while the app was running" in response.json()["detail"]
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert "deleted" in health.json()["detail"]
        assert_no_checked_out_connections(sqlite_app)
    assert not sqlite_path.exists(), "no request may recreate an empty file in its place"
    assert any("restart the app" in record.getMessage() for record in caplog.records)


def test_a_restart_after_the_file_was_deleted_creates_and_migrates_a_new_database(
    create_app: AppFactory, sqlite_app: FastAPI, sqlite_path: Path
) -> None:
    with TestClient(sqlite_app) as client:
        client.post("/todos", json={"title": "gone with the file"})
        delete_database_file(sqlite_path)
    with TestClient(create_app(f"sqlite:///{sqlite_path}")) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/todos").json() == []
        assert client.post("/todos", json={"title": "fresh"}).status_code == 201


@pytest.mark.slow
def test_the_real_server_logs_the_deleted_file_and_how_to_recover_and_a_restart_starts_afresh(
    app_kind: str, sqlite_path: Path, tmp_path: Path
) -> None:
    args = ["--database-url", f"sqlite:///{sqlite_path}"]
    with live_server(app_kind, args, cwd=tmp_path) as server:
        todos = f"{server.base_url}/todos"
        assert httpx.post(todos, json={"title": "before"}).status_code == 201
        delete_database_file(sqlite_path)
        refused = httpx.post(todos, json={"title": "into the deleted file"})
        assert refused.status_code == 503
        assert "was deleted while the app was running" in refused.json()["detail"]
        assert httpx.get(f"{server.base_url}/health").status_code == 503
    log = server.log()
    what = f"the SQLite database file {sqlite_path.resolve()} was deleted while the app was running"
    assert what in log, log
    assert "restore the file or restart the app to create and migrate a new one" in log, log
    assert not sqlite_path.exists(), "the refused write recreated the file"

    with live_server(app_kind, args, cwd=tmp_path) as server:
        assert httpx.get(f"{server.base_url}/health").json() == {"status": "ok"}
        assert httpx.get(f"{server.base_url}/todos").json() == []
        assert httpx.post(f"{server.base_url}/todos", json={"title": "anew"}).status_code == 201
    with fresh_engine(f"sqlite:///{sqlite_path}") as engine, engine.connect() as connection:
        assert current_revision(connection) == head_revision()


def test_after_the_sqlite_file_is_replaced_requests_get_503(
    sqlite_app: FastAPI, sqlite_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(sqlite_app) as client:
        client.post("/todos", json={"title": "original"})
        impostor = tmp_path / "other.db"
        impostor.write_bytes(b"")
        os.replace(impostor, sqlite_path)
        with caplog.at_level(logging.ERROR, logger="todo_contract"):
            response = client.post("/todos", json={"title": "into which file?"})
        assert response.status_code == 503
        assert "was replaced" in response.json()["detail"]
        assert client.get("/health").status_code == 503
        assert_no_checked_out_connections(sqlite_app)
    assert sqlite_path.stat().st_size == 0, "a request wrote into the file put in its place"
    assert any(
        "was replaced" in record.getMessage() and "restart the app" in record.getMessage()
        for record in caplog.records
    ), caplog.text


def test_a_statement_the_database_rejects_is_a_short_503_without_sql(
    app_client: TestClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert app_client.post("/todos", json={"title": "x"}).status_code == 201
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("DROP TABLE todo_tags"))
        connection.execute(text("DROP TABLE todos"))
    with caplog.at_level(logging.ERROR, logger="todo_contract"):
        for method, path, body in (
            ("POST", "/todos", {"title": "y"}),
            ("GET", "/todos", None),
            ("GET", "/todos/1", None),
            ("PATCH", "/todos/1", {"title": "z"}),
            ("DELETE", "/todos/1", None),
            ("GET", "/todos/count", None),
            ("GET", "/tags", None),
        ):
            response = app_client.request(method, path, json=body)
            assert response.status_code == 503
            assert response.json() == {"detail": "Database unavailable"}
    assert len([r for r in caplog.records if "database error" in r.getMessage()]) == 7
    # The connection that failed mid-transaction went back to the pool (checked on teardown).


def test_a_write_that_cannot_get_sqlites_write_lock_in_time_is_a_503_and_is_not_stored(
    create_app: AppFactory, sqlite_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the write lock past the busy timeout: ``BEGIN IMMEDIATE`` fails
    with "database is locked", which must be the usual 503 with a log line (it escaped as a
    500 with a stack trace before), and the write must not be stored."""
    app = create_app(f"sqlite:///{sqlite_path}", settings=Settings(sqlite_busy_timeout_ms=50))
    with TestClient(app) as client:
        assert client.post("/todos", json={"title": "before"}).status_code == 201
        other = sqlite3.connect(sqlite_path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with caplog.at_level(logging.ERROR, logger="todo_contract"):
                refused = client.post("/todos", json={"title": "refused"})
        finally:
            other.close()
        assert refused.status_code == 503
        assert refused.json() == {"detail": "Database unavailable"}
        assert any("database is locked" in record.getMessage() for record in caplog.records)
        assert client.post("/todos", json={"title": "after"}).status_code == 201
        titles = [todo["title"] for todo in client.get("/todos").json()]
        assert titles == ["before", "after"]
        assert_no_checked_out_connections(app)
