"""Todos survive a restart: a new app on the same database sees everything the old one wrote.

In process (a second ``create_app``) and for real (stopping and starting ``python -m …``).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from shared_tests.live_server import live_server


def test_todos_survive_a_new_app_on_the_same_database(
    create_app: AppFactory, database_url: str
) -> None:
    first = create_app(database_url)
    with TestClient(first) as client:
        kept = client.post("/todos", json={"title": "survive", "priority": 7}).json()
        gone = client.post("/todos", json={"title": "deleted"}).json()
        client.patch(f"/todos/{kept['id']}", json={"completed": True})
        client.delete(f"/todos/{gone['id']}")
        before = client.get("/todos").json()
        assert_no_checked_out_connections(first)

    second = create_app(database_url)
    with TestClient(second) as client:
        assert client.get("/todos").json() == before
        assert before[0]["completed"] is True
        assert before[0]["priority"] == 7
        assert client.get("/todos/count").json() == {"total": 1, "completed": 1, "pending": 0}
        again = client.post("/todos", json={"title": "after restart"}).json()
        assert again["id"] > gone["id"], "an id was reused after the restart"
        assert_no_checked_out_connections(second)


@pytest.mark.slow
@pytest.mark.unmeasured  # two server starts; the CLI tests measure what they run
def test_todos_survive_a_restart_of_the_real_server(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    args = ["--database-url", database_url]
    with live_server(app_kind, args, cwd=tmp_path) as server:
        created = httpx.post(f"{server.base_url}/todos", json={"title": "über ☕"})
        assert created.status_code == 201
        todo = created.json()
    assert server.process.returncode == 0, server.log()

    with live_server(app_kind, args, cwd=tmp_path) as server:
        fetched = httpx.get(f"{server.base_url}/todos/{todo['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == todo
