"""A database for one benchmark run: fresh, migrated and seeded the same way on every backend."""

from __future__ import annotations

import os
import random
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
from todo_contract.table import tags, todo_tags, todos

SEED_ROWS = 1000
SEED_TAGS = 50
"""Tag names the seeded todos draw from."""
MAX_TAGS_PER_TODO = 5
TAG_SEED = 20261130
"""The fixed seed of the tags' draw: every run, backend and app carries the same tags."""
TAG_NAMES = tuple(f"tag-{number:02d}" for number in range(SEED_TAGS))
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


def seeded_tags(rows: int = SEED_ROWS, seed: int = TAG_SEED) -> list[list[str]]:
    """The tags of each seeded todo, in seeding order: 0 to 5 names drawn without repeats
    from ``TAG_NAMES``, the same on every call (``random.Random(seed)``; sorted, as the API
    returns them). About 2.5 per todo, each tag on about 50 of 1,000 todos."""
    draw = random.Random(seed)
    return [sorted(draw.sample(TAG_NAMES, draw.randint(0, MAX_TAGS_PER_TODO))) for _ in range(rows)]


def seed(database: Database, rows: int = SEED_ROWS) -> list[int]:
    """Insert ``rows`` todos (every other one completed) with their tags (``seeded_tags``)
    and return their ids."""
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
        ids = list(connection.execute(select(todos.c.id).order_by(todos.c.id)).scalars())
        connection.execute(insert(tags), [{"name": name} for name in TAG_NAMES])
        tag_ids = {row.name: row.id for row in connection.execute(select(tags.c.name, tags.c.id))}
        links = [
            {"todo_id": todo_id, "tag_id": tag_ids[name]}
            for todo_id, names in zip(ids, seeded_tags(rows), strict=True)
            for name in names
        ]
        connection.execute(insert(todo_tags), links)
        return ids


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
