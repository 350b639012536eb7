"""Reach an app's own database from a test, whatever the app's style (sync or asyncio).

A sync app holds a ``Database`` whose engines a test can use directly; an async app holds an
``AsyncDatabase``, whose engines run on the event loop of the app's ``TestClient`` (a thread of
its own). These helpers give a test one sync way to do the few things it needs — a write
transaction on the app's write view, connections checked out of the app's pool, the engine to
listen on — so that each test reads the same for every variant and reaches the app's own pool,
not a second engine beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool

from todo_contract.async_database import AsyncDatabase
from todo_contract.database import Database

T = TypeVar("T")


def database_of(app: FastAPI) -> Database | AsyncDatabase:
    """The handle the app's lifespan opened."""
    database: Database | AsyncDatabase = app.state.database
    return database


def engine_of(app: FastAPI) -> Engine:
    """The app's engine as a sync ``Engine``: to listen on (statement events), or to read its
    pool. An async engine's ``sync_engine`` carries its events and pool."""
    database = database_of(app)
    return database.engine if isinstance(database, Database) else database.engine.sync_engine


def pool_of(app: FastAPI) -> QueuePool:
    """The app's connection pool (a ``QueuePool``, or asyncio's subclass of it)."""
    return cast(QueuePool, engine_of(app).pool)


def in_write_transaction(client: TestClient, work: Callable[[Connection], T]) -> T:
    """``work(connection)`` in one transaction on the app's write view, committed.

    For an async app the transaction runs on the client's event loop, and ``work`` gets the
    sync facade of the ``AsyncConnection`` (``run_sync``), so the same code serves both.
    """
    database = database_of(client.app)  # type: ignore[arg-type]
    if isinstance(database, Database):
        with database.writes.begin() as connection:
            return work(connection)
    writes = database.writes

    async def run() -> T:
        async with writes.begin() as connection:
            return await connection.run_sync(work)

    return client.portal.call(run)  # type: ignore[union-attr]


class HeldConnection:
    """A connection checked out of the app's pool by the test, not by a request."""

    def __init__(self, client: TestClient, connection: Connection | AsyncConnection) -> None:
        self.client = client
        self.connection = connection

    def execute(self, statement: Any) -> None:
        """Run ``statement`` on it (results discarded)."""
        if isinstance(self.connection, Connection):
            self.connection.execute(statement)
        else:
            self.client.portal.call(self.connection.execute, statement)  # type: ignore[union-attr]

    def close(self) -> None:
        """Give it back to the pool."""
        if isinstance(self.connection, Connection):
            self.connection.close()
        else:
            self.client.portal.call(self.connection.close)  # type: ignore[union-attr]


def hold_connection(client: TestClient) -> HeldConnection:
    """Check one connection out of the app's pool (read view), as a leaked one would stay."""
    database = database_of(client.app)  # type: ignore[arg-type]
    if isinstance(database, Database):
        return HeldConnection(client, database.engine.connect())
    engine = database.engine

    async def connect() -> AsyncConnection:
        return await engine.connect()

    return HeldConnection(client, client.portal.call(connect))  # type: ignore[union-attr]
