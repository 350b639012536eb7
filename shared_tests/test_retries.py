"""Writes that lose a deadlock (or a serialization conflict) are retried, a bounded number of times.

A real deadlock needs two transactions that each wait on the other, which the apps' one-row
writes do not produce on demand; so the database's own error is injected instead: the exact
exception class the driver raises (psycopg's ``DeadlockDetected``/``SerializationFailure``,
PyMySQL's error 1213), raised where the driver would raise it, just before a write statement
reaches the server. Everything else — SQLAlchemy's wrapping, the rollback, the retry, the
503 — is the apps' real code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg.exceptions
import psycopg.errors
import pymysql.err
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi

from shared_tests.app_database import engine_of
from shared_tests.conftest import assert_no_checked_out_connections
from todo_contract.retry import MAX_ATTEMPTS

pytestmark = pytest.mark.backends("postgresql", "mariadb")


def from_asyncpg(error: Exception) -> Exception:
    """asyncpg's error as SQLAlchemy's asyncpg dialect raises it (its DBAPI ``Error``, carrying
    the SQLSTATE), which is what the async apps' retry sees."""
    adapted: Exception = AsyncAdapt_asyncpg_dbapi.Error(error.args[0], error)  # type: ignore[no-untyped-call]
    return adapted


MARIADB_DEADLOCK = "Deadlock found when trying to get lock; try restarting transaction"
CONFLICTS: dict[str, list[Callable[[], Exception]]] = {
    "psycopg": [
        lambda: psycopg.errors.DeadlockDetected("deadlock detected"),
        lambda: psycopg.errors.SerializationFailure("could not serialize access"),
    ],
    "asyncpg": [
        lambda: from_asyncpg(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        lambda: from_asyncpg(asyncpg.exceptions.SerializationError("could not serialize access")),
    ],
    "pymysql": [lambda: pymysql.err.OperationalError(1213, MARIADB_DEADLOCK)],
}
CONFLICTS["aiomysql"] = CONFLICTS["pymysql"]
"""Per driver (aiomysql raises PyMySQL's errors)."""
OTHER_FAILURE: dict[str, Callable[[], Exception]] = {
    "psycopg": lambda: psycopg.errors.QueryCanceled("canceling statement due to timeout"),
    "asyncpg": lambda: from_asyncpg(
        asyncpg.exceptions.QueryCanceledError("canceling statement due to timeout")
    ),
    "pymysql": lambda: pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"),
}
OTHER_FAILURE["aiomysql"] = OTHER_FAILURE["pymysql"]


class FailingWrites:
    """Makes the next ``remaining`` write statements fail with ``error()``; counts attempts."""

    def __init__(self) -> None:
        self.remaining = 0
        self.error: Callable[[], Exception] = Exception
        self.raised = 0

    def arm(self, times: int, error: Callable[[], Exception]) -> None:
        self.remaining, self.error, self.raised = times, error, 0

    def before_cursor_execute(self, *args: Any) -> None:
        statement: str = args[2]
        is_write = statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        if self.remaining and (is_write or "FOR UPDATE" in statement.upper()):
            self.remaining -= 1
            self.raised += 1
            raise self.error()


@contextmanager
def failing_writes(app: FastAPI) -> Iterator[tuple[TestClient, FailingWrites]]:
    faults = FailingWrites()
    with TestClient(app) as client:
        engine = engine_of(app)
        event.listen(engine, "before_cursor_execute", faults.before_cursor_execute)
        try:
            yield client, faults
            assert_no_checked_out_connections(app)
        finally:
            event.remove(engine, "before_cursor_execute", faults.before_cursor_execute)


def requests_for(client: TestClient) -> list[tuple[str, str, dict[str, Any] | None, int]]:
    """One request of each write kind, with the status it gets when it succeeds."""
    todo_id = client.post("/todos", json={"title": "target"}).json()["id"]
    return [
        ("POST", "/todos", {"title": "new"}, 201),
        ("PATCH", f"/todos/{todo_id}", {"priority": 7}, 200),
        ("PUT", f"/todos/{todo_id}", {"title": "put", "completed": True, "priority": 1}, 200),
        ("DELETE", f"/todos/{todo_id}", None, 204),
    ]


def test_a_write_that_loses_a_conflict_is_retried_and_succeeds_once(
    app: FastAPI, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with failing_writes(app) as (client, faults):
        driver = engine_of(app).dialect.driver
        for conflict in CONFLICTS[driver]:
            for method, path, body, success in requests_for(client):
                faults.arm(MAX_ATTEMPTS - 1, conflict)
                response = client.request(method, path, json=body)
                assert response.status_code == success, (method, response.text)
                assert faults.raised == MAX_ATTEMPTS - 1
        retries = [record for record in caplog.records if "retrying" in record.getMessage()]
        assert len(retries) == 4 * len(CONFLICTS[driver]) * (MAX_ATTEMPTS - 1)
        titles = sorted(todo["title"] for todo in client.get("/todos").json())
        assert titles == ["new"] * len(CONFLICTS[driver]), "each POST was stored exactly once"


def test_a_conflict_that_persists_ends_in_503_after_a_bounded_number_of_attempts(
    app: FastAPI, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with failing_writes(app) as (client, faults):
        driver = engine_of(app).dialect.driver
        for method, path, body, _ in requests_for(client):
            faults.arm(1000, CONFLICTS[driver][0])
            response = client.request(method, path, json=body)
            assert response.status_code == 503, (method, response.text)
            assert response.json() == {"detail": "Database unavailable"}
            assert faults.raised == MAX_ATTEMPTS
        faults.arm(0, Exception)
        assert [todo["title"] for todo in client.get("/todos").json()] == ["target"]


def test_other_database_errors_are_not_retried(app: FastAPI, backend: str) -> None:
    with failing_writes(app) as (client, faults):
        driver = engine_of(app).dialect.driver
        for method, path, body, _ in requests_for(client):
            faults.arm(1000, OTHER_FAILURE[driver])
            response = client.request(method, path, json=body)
            assert response.status_code == 503, (method, response.text)
            assert faults.raised == 1
