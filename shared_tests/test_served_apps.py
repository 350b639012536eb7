"""The running apps the ``client`` fixture shares (``shared_tests.served_apps``).

Every test taking ``client`` trusts that it starts on an empty database whose first todo gets
id 1, whatever the tests before it in the same worker wrote; and that a test inspecting or
breaking its own database never does it through a client on another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, event, text

from shared_tests.app_database import engine_of, in_write_transaction
from shared_tests.served_apps import ServedApps, only_reads, refuse_mixed_clients


def test_an_app_emptied_for_the_next_test_has_no_rows_and_numbers_todos_from_one_again(
    served_apps: ServedApps, app_kind: str, backend: str
) -> None:
    client = served_apps.get(app_kind, backend).client
    for title in ("a", "b", "c"):
        assert client.post("/todos", json={"title": title}).status_code == 201
    assert client.get("/todos/count").json()["total"] == 3

    again = served_apps.get(app_kind, backend)

    assert again.client is client, "the app was started again instead of emptied"
    assert client.get("/todos").json() == []
    assert client.post("/todos", json={"title": "first again"}).json()["id"] == 1


def test_tags_are_emptied_too(served_apps: ServedApps, app_kind: str, backend: str) -> None:
    client = served_apps.get(app_kind, backend).client
    assert client.post("/todos", json={"title": "a", "tags": ["x", "y"]}).status_code == 201

    served_apps.get(app_kind, backend)

    assert client.get("/tags").json() == []
    assert client.post("/todos", json={"title": "b", "tags": ["x"]}).json()["id"] == 1


@contextmanager
def statements_sent(app: FastAPI) -> Iterator[list[str]]:
    """The statements the app's engine sends inside the block."""
    sent: list[str] = []

    def note(*args: Any) -> None:
        sent.append(args[2])

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_after_a_test_that_only_read_nothing_is_sent_to_empty_the_app(
    served_apps: ServedApps, app_kind: str, backend: str
) -> None:
    served = served_apps.get(app_kind, backend)
    assert served.client.get("/todos").status_code == 200
    assert served.client.get("/todos/abc").status_code == 422

    with statements_sent(served.app) as sent:
        served_apps.get(app_kind, backend)

    assert sent == []


def test_a_write_outside_any_request_is_noticed_and_emptied(
    served_apps: ServedApps, app_kind: str, backend: str
) -> None:
    served = served_apps.get(app_kind, backend)

    def insert(connection: Connection) -> None:
        connection.execute(text("INSERT INTO tags (name) VALUES ('kept-by-mistake')"))

    in_write_transaction(served.client, insert)
    with statements_sent(served.app) as sent:
        served_apps.get(app_kind, backend)

    assert sent, "the write was not noticed"
    assert served.client.get("/tags").json() == []


@pytest.mark.parametrize(
    ("statement", "reads_only"),
    [
        ("SELECT id FROM todos", True),
        ("  select count(*) FROM todos", True),
        ("INSERT INTO todos (title) VALUES ('x')", False),
        ("UPDATE todos SET title = 'x'", False),
        ("DELETE FROM todos", False),
        ("WITH t AS (SELECT 1) DELETE FROM todos", False),
        ("BEGIN IMMEDIATE", False),
    ],
)
def test_only_a_select_counts_as_leaving_the_database_as_it_was(
    statement: str, reads_only: bool
) -> None:
    assert only_reads(statement) is reads_only


@pytest.mark.parametrize("own", ["app", "database_url"])
def test_a_test_taking_client_with_its_own_app_or_database_is_refused(own: str) -> None:
    with pytest.raises(pytest.UsageError, match=f"takes client and {own}.*take app_client"):
        refuse_mixed_clients("test_x", ["client", own, "backend"])


def test_a_test_taking_only_client_is_served() -> None:
    refuse_mixed_clients("test_x", ["client", "app_kind", "backend", "tmp_path"])
