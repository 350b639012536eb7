"""Tutorial databases with rows the tutorial allowed but this API cannot serve are repaired.

The original tutorial declared its columns nullable and validated nothing. Adoption repairs
each such row by the documented rules (``todo_contract.adoption``), logs it, keeps every row,
and afterwards every route answers normally.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared_tests.backends import fresh_engine
from shared_tests.conftest import AppFactory
from todo_contract.clock import utc_now
from todo_contract.drift import differences
from todo_contract.schemas import TodoCreate
from todo_contract.table import metadata

NULLABLE_TABLE = {
    "sqlite": "CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT, completed BOOLEAN,"
    " created_at TIMESTAMP)",
    "postgresql": "CREATE TABLE todos (id SERIAL PRIMARY KEY, title TEXT, completed BOOLEAN,"
    " created_at TIMESTAMP)",
    "mariadb": "CREATE TABLE todos (id INTEGER AUTO_INCREMENT PRIMARY KEY, title TEXT,"
    " completed BOOLEAN, created_at DATETIME(6)) CHARACTER SET utf8mb4",
}
GOOD_AT = datetime(2024, 1, 15, 10, 30)
# (title, completed, created_at) as a careless tutorial user could have stored them
DAMAGED_ROWS: list[tuple[str | None, bool | None, datetime | None]] = [
    ("Fine", True, GOOD_AT),
    (None, False, GOOD_AT),
    ("", False, GOOD_AT),
    ("   ", False, GOOD_AT),
    ("bell\x07and\ttab", False, GOOD_AT),
    ("x" * 250, False, GOOD_AT),
    ("no completed", None, GOOD_AT),
    ("no created_at", False, None),
]
EXPECTED_TITLES = [
    "Fine",
    "Untitled todo 2",
    "Untitled todo 3",
    "Untitled todo 4",
    "bell and tab",
    "x" * 199 + "…",
    "no completed",
    "no created_at",
]


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A database with no tables: each test builds a tutorial file in it first."""
    return empty_database_url


def build_damaged_tutorial_database(backend: str, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(NULLABLE_TABLE[backend]))
            for title, completed, created_at in DAMAGED_ROWS:
                connection.execute(
                    text("INSERT INTO todos (title, completed, created_at) VALUES (:t, :c, :at)"),
                    {
                        "t": title,
                        "c": completed,
                        "at": created_at.isoformat(" ")
                        if backend == "sqlite" and created_at
                        else created_at,
                    },
                )
    finally:
        engine.dispose()


def test_every_damaged_row_is_repaired_kept_and_logged(
    create_app: AppFactory, backend: str, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    build_damaged_tutorial_database(backend, database_url)
    before = utc_now().replace(microsecond=0)

    with TestClient(create_app(database_url)) as client:
        listed = client.get("/todos")
        assert listed.status_code == 200, listed.text
        todos = listed.json()
        assert [todo["title"] for todo in todos] == EXPECTED_TITLES
        for todo in todos:
            TodoCreate(title=todo["title"])  # every title is one the contract accepts
            assert client.get(f"/todos/{todo['id']}").status_code == 200
            assert client.patch(f"/todos/{todo['id']}", json={"priority": 1}).status_code == 200

    assert todos[6]["completed"] is False
    assert todos[0]["created_at"] == "2024-01-15T10:30:00.000000Z"
    assert todos[7]["created_at"] >= before.strftime("%Y-%m-%dT%H:%M:%S")
    repairs = [r.getMessage() for r in caplog.records if "adopting tutorial row" in r.getMessage()]
    assert [message.split()[3] for message in repairs] == [f"id={n}:" for n in range(2, 9)]
    with fresh_engine(database_url) as engine, engine.connect() as connection:
        assert differences(connection, metadata) == []


@pytest.mark.backends("sqlite")
def test_a_created_at_that_is_not_a_timestamp_is_replaced(
    create_app: AppFactory, backend: str, database_url: str
) -> None:
    build_damaged_tutorial_database(backend, database_url)
    with fresh_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE todos SET created_at = 'last tuesday' WHERE id = 1"))

    with TestClient(create_app(database_url)) as client:
        todo = client.get("/todos/1").json()

    assert todo["title"] == "Fine"
    assert todo["created_at"].startswith(str(utc_now().year))
