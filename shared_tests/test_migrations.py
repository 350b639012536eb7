"""Alembic migrations: one history for both apps, adopting the tutorial's databases.

The teaching app's lesson "add a column without a migration" is done right here: priority
and updated_at arrive through a revision, and every old row is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from shared_tests.backends import fresh_engine, fresh_handle
from shared_tests.conftest import AppFactory
from shared_tests.live_server import run_to_exit
from shared_tests.tutorial_app import build_tutorial_database, expected_api_rows
from todo_contract.__main__ import main as todo_contract_main
from todo_contract.migrate import (
    SchemaError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from todo_contract.table import metadata


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """Every test here starts from a database with no tables: the migrations are under test."""
    return empty_database_url


def revision_of(database_url: str) -> str | None:
    with fresh_engine(database_url) as engine, engine.connect() as connection:
        return current_revision(connection)


def test_a_database_made_by_the_tutorial_app_is_adopted_with_every_row_kept(
    create_app: AppFactory, backend: str, database_url: str
) -> None:
    build_tutorial_database(backend, database_url)
    with TestClient(create_app(database_url)) as client:
        assert client.get("/todos").json() == expected_api_rows()
        assert client.get("/todos/count").json() == {"total": 3, "completed": 1, "pending": 2}
        created = client.post("/todos", json={"title": "new"})
        assert created.status_code == 201
        assert created.json()["id"] == 4
    assert revision_of(database_url) == head_revision()


def test_a_tutorial_database_with_a_hand_added_priority_column_keeps_its_priorities(
    create_app: AppFactory, backend: str, database_url: str
) -> None:
    build_tutorial_database(backend, database_url, hand_added_priority=True)
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE todos SET priority = 5 WHERE id = 2"))
    with TestClient(create_app(database_url)) as client:
        priorities = [todo["priority"] for todo in client.get("/todos").json()]
    assert priorities == [0, 5, 0]


def test_a_database_at_the_first_revision_is_upgraded_with_every_row_kept(
    create_app: AppFactory, database_url: str
) -> None:
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text("INSERT INTO todos (title, completed, created_at) VALUES ('old', :done, :at)"),
            {"done": True, "at": "2024-03-01 12:00:00.250000"},
        )
    with TestClient(create_app(database_url)) as client:
        assert client.get("/todos").json() == [
            {
                "id": 1,
                "title": "old",
                "completed": True,
                "priority": 0,
                "tags": [],
                "created_at": "2024-03-01T12:00:00.250000Z",
                "updated_at": "2024-03-01T12:00:00.250000Z",
            }
        ]
    assert revision_of(database_url) == head_revision()


def test_a_database_from_before_tags_is_upgraded_with_every_row_kept_and_no_tags(
    create_app: AppFactory, database_url: str
) -> None:
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
                " VALUES ('kept', :done, 7, :at, :later), ('also kept', :done, 0, :at, :at)"
            ),
            {"done": False, "at": "2024-03-01 12:00:00.250000", "later": "2024-03-02 08:00:00"},
        )
    with TestClient(create_app(database_url)) as client:
        assert client.get("/todos").json() == [
            {
                "id": 1,
                "title": "kept",
                "completed": False,
                "priority": 7,
                "tags": [],
                "created_at": "2024-03-01T12:00:00.250000Z",
                "updated_at": "2024-03-02T08:00:00.000000Z",
            },
            {
                "id": 2,
                "title": "also kept",
                "completed": False,
                "priority": 0,
                "tags": [],
                "created_at": "2024-03-01T12:00:00.250000Z",
                "updated_at": "2024-03-01T12:00:00.250000Z",
            },
        ]
        tagged = client.patch("/todos/1", json={"tags": ["home"]})
        assert tagged.json()["tags"] == ["home"]
        assert client.get("/tags").json() == [{"name": "home", "todos": 1}]
    assert revision_of(database_url) == head_revision()


def test_the_migrations_build_exactly_the_table_the_apps_use(database_url: str) -> None:
    with fresh_handle(database_url) as database:
        upgrade(database)
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_latest_revision_can_be_downgraded_and_upgraded_again_keeping_rows(
    create_app: AppFactory, database_url: str
) -> None:
    with TestClient(create_app(database_url)) as client:
        todo = client.post("/todos", json={"title": "round trip"}).json()
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        columns = {column["name"] for column in inspect(connection).get_columns("todos")}
        assert columns == {"id", "title", "completed", "created_at"}
    with TestClient(create_app(database_url)) as client:
        restored = client.get(f"/todos/{todo['id']}").json()
    assert restored["title"] == "round trip"
    assert restored["created_at"] == todo["created_at"]


def test_no_migrate_refuses_a_database_that_is_behind_and_names_the_upgrade_command(
    create_app: AppFactory, database_url: str
) -> None:
    app = create_app(database_url, migrate=False)
    with pytest.raises(SchemaError, match="python -m todo_contract upgrade --database-url"):
        TestClient(app).__enter__()
    assert revision_of(database_url) is None, "--no-migrate must not touch the schema"


@pytest.mark.slow
def test_the_real_server_with_no_migrate_exits_with_the_upgrade_command(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    result = run_to_exit(app_kind, ["--database-url", database_url, "--no-migrate"], cwd=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"needs {head_revision()}" in output
    assert "python -m todo_contract upgrade" in output


def test_the_upgrade_command_prepares_a_database_that_no_migrate_then_serves(
    create_app: AppFactory, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert todo_contract_main(["upgrade", "--database-url", database_url]) == 0
    assert "is at the latest revision" in capsys.readouterr().out
    with TestClient(create_app(database_url, migrate=False)) as client:
        assert client.post("/todos", json={"title": "served"}).status_code == 201


def test_a_todos_table_that_is_not_the_tutorials_is_refused_not_guessed(
    create_app: AppFactory, database_url: str
) -> None:
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("CREATE TABLE todos (id INTEGER PRIMARY KEY, name TEXT)"))
    with pytest.raises(SchemaError, match="refusing to guess"):
        TestClient(create_app(database_url)).__enter__()
    assert revision_of(database_url) is None
