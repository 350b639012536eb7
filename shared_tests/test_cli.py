"""``python -m orm_app`` / ``python -m core_app``: the flags of the contract, for real."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from shared_tests.backends import fresh_engine
from shared_tests.live_server import live_server, run_to_exit
from todo_contract.variants import variant

pytestmark = pytest.mark.slow  # a real server process per test


def test_help_lists_every_flag_of_the_contract(app_kind: str, tmp_path: Path) -> None:
    result = run_to_exit(app_kind, ["--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for flag in ("--host", "--port", "--database-url", "--no-migrate", "--async"):
        assert flag in result.stdout


def test_without_a_url_the_server_uses_todos_db_in_the_working_directory(
    app_kind: str, tmp_path: Path
) -> None:
    env = {"TODO_DATABASE_URL": ""}
    with live_server(app_kind, [], cwd=tmp_path, env=env) as server:
        assert httpx.get(f"{server.base_url}/health").json() == {"status": "ok"}
        assert httpx.post(f"{server.base_url}/todos", json={"title": "a"}).status_code == 201
        assert httpx.get(f"{server.base_url}/docs").status_code == 200
    assert (tmp_path / "todos.db").exists()


@pytest.mark.unmeasured  # a server start per backend; the URL's parsing is measured in process
def test_the_database_url_can_come_from_the_environment(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    env = {"TODO_DATABASE_URL": database_url}
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    with live_server(app_kind, [], cwd=workdir, env=env) as server:
        created = httpx.post(f"{server.base_url}/todos", json={"title": "from env"})
        assert created.status_code == 201
        assert created.headers["location"] == f"/todos/{created.json()['id']}"
    assert not (workdir / "todos.db").exists()
    with fresh_engine(database_url) as engine, engine.connect() as connection:
        titles = connection.execute(text("SELECT title FROM todos")).scalars().all()
    assert titles == ["from env"]


@pytest.mark.unmeasured  # a server start per backend, as above
def test_the_server_serves_the_backend_named_by_database_url(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    """…with the variant's flavour: ``--async`` (in the variant's command) serves the asyncio
    one, whose title says so."""
    with live_server(app_kind, ["--database-url", database_url], cwd=tmp_path) as server:
        document = httpx.get(f"{server.base_url}/openapi.json").json()
        assert document["info"]["title"] == variant(app_kind).module("main").TITLE, "--async"
        assert httpx.get(f"{server.base_url}/todos").json() == []
        created = httpx.post(f"{server.base_url}/todos", json={"title": "served"})
        assert created.status_code == 201
        assert httpx.get(f"{server.base_url}/todos/count").json()["total"] == 1


def test_an_unsupported_database_url_is_refused_with_a_clear_message(
    app_kind: str, tmp_path: Path
) -> None:
    result = run_to_exit(app_kind, ["--database-url", "oracle://scott@db/x"], cwd=tmp_path)
    assert result.returncode != 0
    assert "unsupported database 'oracle'" in result.stdout + result.stderr
