"""One running app per variant and backend in each worker, emptied before every test.

Most contract tests send a few requests to an app on an empty database. Starting an app for
each of them (a database copy, a lifespan that migrates and checks the schema, a first
connection) cost 100–300 ms a test, several times the requests themselves, and most of the
suite's time. So each xdist worker starts one app per (variant, backend) on its own copy of
the migrated template, the first time a test asks for it, and before each test empties every
table and restarts the ids: each test still sees an empty database at the head revision whose
first todo gets id 1, as a fresh copy would give it.

Emptying is skipped when nothing but ``SELECT`` reached the app's engine since the last time
(most tests of bad input never reach the database), and it deletes rows and resets the id
counters rather than ``TRUNCATE``: on PostgreSQL a ``TRUNCATE`` of the three tables took
10.6 ms a test against 1.2 ms for the ``DELETE``s and ``setval``s (and 6.3 against 4.6 ms
on MariaDB), on several thousand tests.

Tests that need an app of their own (other settings, a lifespan to watch, a database to break,
a route to add) take ``app`` or ``database_url`` instead, and ``app_client`` for a client on
that app.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Table, event, text

from shared_tests.app_database import engine_of, in_write_transaction
from shared_tests.templates import Templates
from todo_contract.table import metadata
from todo_contract.variants import variant

OWN_APP_FIXTURES = frozenset({"app", "database_url"})


def refuse_mixed_clients(test: str, fixtures: Iterable[str]) -> None:
    """Raise ``pytest.UsageError`` when ``test`` takes the shared ``client`` together with a
    fixture of its own app or database: the client would talk to another database than the
    one the test inspects or breaks."""
    if own := OWN_APP_FIXTURES.intersection(fixtures):
        raise pytest.UsageError(
            f"{test} takes client and {', '.join(sorted(own))}: the client is on a shared app "
            "and database; take app_client for a client on the test's own app"
        )


def emptying_statements(dialect: str, tables: Sequence[Table]) -> list[str]:
    """Statements that delete every row of ``tables`` (children first) and restart their ids
    at 1."""
    deletes = [f"DELETE FROM {table.name}" for table in tables]
    counted = [table.name for table in tables if table.autoincrement_column is not None]
    if dialect == "sqlite":
        names = ", ".join(f"'{name}'" for name in counted)
        return [*deletes, f"DELETE FROM sqlite_sequence WHERE name IN ({names})"]
    if dialect == "postgresql":
        restart = "SELECT setval(pg_get_serial_sequence('{}', 'id'), 1, false)"
        return [*deletes, *(restart.format(name) for name in counted)]
    # MariaDB: on an empty InnoDB table the counter goes back to 1.
    return [*deletes, *(f"ALTER TABLE {name} AUTO_INCREMENT = 1" for name in counted)]


def only_reads(statement: str) -> bool:
    """Whether ``statement`` cannot have changed a row or advanced an id counter."""
    return statement.lstrip().upper().startswith("SELECT")


@dataclass
class ServedApp:
    """A started app, a client on it, and whether anything may have written since it was
    last emptied."""

    app: FastAPI
    client: TestClient
    written: bool = True

    def watch_writes(self) -> None:
        """Note every statement other than a ``SELECT`` the app's engine sends (its write
        view and the tests' own transactions through it share the engine's events)."""

        @event.listens_for(engine_of(self.app), "before_cursor_execute")
        def _note_write(*args: Any) -> None:
            if not only_reads(args[2]):
                self.written = True

    def empty(self) -> None:
        """Delete every row the app's tables hold (not ``alembic_version``); ids from 1.

        Through the app's own write view, as a request that writes would: no second engine
        to keep beside the app's. Nothing is sent when nothing was written since the last
        time."""
        if not self.written:
            return
        tables = list(reversed(metadata.sorted_tables))

        def empty_tables(connection: Connection) -> None:
            for statement in emptying_statements(connection.dialect.name, tables):
                connection.execute(text(statement))

        in_write_transaction(self.client, empty_tables)
        self.written = False


class ServedApps:
    """This worker's running apps, started on first use and stopped by ``close``."""

    def __init__(self, templates: Templates, workdir: Path) -> None:
        self.templates = templates
        self.workdir = workdir
        self._served: dict[tuple[str, str], ServedApp] = {}
        self._stack = ExitStack()

    def get(self, app_kind: str, backend: str) -> ServedApp:
        """The running ``app_kind`` app on ``backend``, emptied."""
        key = (app_kind, backend)
        if key not in self._served:
            self._served[key] = self._start(app_kind, backend)
        served = self._served[key]
        served.empty()
        return served

    def _start(self, app_kind: str, backend: str) -> ServedApp:
        directory = self.workdir / f"{app_kind}-{backend}"
        directory.mkdir()
        url = self._stack.enter_context(self.templates.copy(backend, directory))
        app = variant(app_kind).create_app(url)
        client = self._stack.enter_context(TestClient(app))
        served = ServedApp(app=app, client=client)
        served.watch_writes()
        return served

    def close(self) -> None:
        """Stop every app (before the templates drop their databases)."""
        self._stack.close()
