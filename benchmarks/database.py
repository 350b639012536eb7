"""A database for one benchmark run: fresh, migrated and seeded the same way on every backend."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from todo_contract.clock import utc_now
from todo_contract.database import Database, open_database
from todo_contract.migrate import upgrade
from todo_contract.scratch import scratch_database
from todo_contract.settings import Settings
from todo_contract.table import todos

SEED_ROWS = 1000
DEFAULT_SERVER_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
BACKENDS = ("sqlite", "postgresql", "mariadb")


def server_url(backend: str) -> str:
    """The admin URL of a server backend: ``BENCH_POSTGRESQL_URL`` / ``BENCH_MARIADB_URL``."""
    return os.environ.get(f"BENCH_{backend.upper()}_URL", DEFAULT_SERVER_URLS[backend])


@dataclass
class BenchDatabase:
    """The database handle and seeded rows one backend's measurements run against.

    ``database`` is the same kind of handle an app holds in ``app.state.database``, so the
    rungs open their Sessions and Connections exactly as the apps' requests do.
    """

    backend: str
    url: str
    database: Database
    seeded_ids: list[int]
    titles: Iterator[int] = field(default_factory=count)
    resources: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        """The engine reads use."""
        return self.database.engine

    @property
    def write_engine(self) -> Engine:
        """The write view (same pool) writes use."""
        return self.database.writes

    def next_title(self) -> str:
        """A fresh title for a created todo."""
        return f"benchmark todo {next(self.titles)}"

    def remove_rows_after_seed(self) -> None:
        """Delete every row an operation added, so the table keeps its seeded size."""
        with self.write_engine.begin() as connection:
            connection.execute(delete(todos).where(todos.c.id > self.seeded_ids[-1]))


def seed(database: Database, rows: int = SEED_ROWS) -> list[int]:
    """Insert ``rows`` todos (every other one completed) and return their ids."""
    now = utc_now()
    values = [
        {
            "title": f"seeded todo {number}",
            "completed": number % 2 == 0,
            "priority": number % 5,
            "created_at": now,
            "updated_at": now,
        }
        for number in range(rows)
    ]
    with database.writes.begin() as connection:
        connection.execute(insert(todos), values)
        return list(connection.execute(select(todos.c.id).order_by(todos.c.id)).scalars())


@contextmanager
def fresh_url(backend: str, workdir: Path) -> Iterator[str]:
    """An empty database on ``backend`` for this run, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    with scratch_database(server_url(backend), f"todo_bench_{uuid.uuid4().hex[:12]}") as url:
        yield url


@contextmanager
def bench_database(
    backend: str, url: str, settings: Settings | None = None
) -> Iterator[BenchDatabase]:
    """Migrate and seed the database at ``url``; the engines are the apps' own."""
    database = open_database(url, settings or Settings())
    try:
        upgrade(database)
        ids = seed(database)
        bench = BenchDatabase(backend, url, database, ids)
        try:
            yield bench
        finally:
            for close in reversed(bench.closers):
                close()
    finally:
        database.dispose()


@contextmanager
def temporary_workdir() -> Iterator[Path]:
    """A scratch directory for SQLite files and server logs."""
    with tempfile.TemporaryDirectory(prefix="todo-bench-") as directory:
        yield Path(directory)
