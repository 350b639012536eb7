"""``--workers N``: several uvicorn worker processes on one socket and one database.

Each worker has its own engine and pool, so writes from two processes meet only in the
database: on SQLite two processes share one file (``BEGIN IMMEDIATE`` and the busy timeout
serialize them), on PostgreSQL and MariaDB two pools. No acknowledged write may be lost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)
import pytest
from sqlalchemy import text

from shared_tests.backends import fresh_engine, takes_the_long_run
from shared_tests.live_server import live_server
from shared_tests.test_concurrency import assert_every_acknowledged_write_is_stored, run_clients

CLIENTS = 96
SHORT_RUN_CLIENTS = 32
"""96 clients on the pairs that take the long run (``takes_the_long_run``), 32 elsewhere."""
POOL_PER_WORKER = {"TODO_POOL_SIZE": "10"}
"""Each worker has a pool of its own: at the default 40, two workers hold 80 server
connections, and beside the other tests' (256 clients elsewhere hold 40 more) PostgreSQL's
default limit of 100 refused some, which the app rightly answered with 503s."""


def worker_processes(pid: int) -> list[psutil.Process]:
    """The server's uvicorn workers: its children started by multiprocessing's spawn."""
    return [
        child
        for child in psutil.Process(pid).children()
        if any("multiprocessing.spawn" in part for part in child.cmdline())
    ]


@pytest.mark.slow
# three processes and a load per pair; their paths (--workers, worker_app) are the same on every
# pair, so they are traced on the pairs that take the long run only
@pytest.mark.unmeasured(except_long_run=True)
def test_two_workers_on_one_database_lose_no_acknowledged_write(
    app_kind: str, backend: str, database_url: str, tmp_path: Path
) -> None:
    clients = CLIENTS if takes_the_long_run(app_kind, backend) else SHORT_RUN_CLIENTS
    args = ["--database-url", database_url, "--log-level", "warning", "--workers", "2"]
    with live_server(app_kind, args, cwd=tmp_path, env=POOL_PER_WORKER) as server:
        workers = worker_processes(server.process.pid)
        assert len(workers) == 2, [w.cmdline() for w in workers]

        outcome = asyncio.run(run_clients(server.base_url, clients))

        assert outcome.failures == [], outcome.failures[:10]
        assert_every_acknowledged_write_is_stored(server.base_url, outcome, clients)
        assert "Traceback" not in server.log()
    assert server.process.returncode == 0
    assert not any(worker.is_running() for worker in workers)
    # what the workers acknowledged is in the database, read afresh once they are gone
    with fresh_engine(database_url) as engine, engine.connect() as connection:
        stored = connection.execute(text("SELECT id FROM todos")).scalars().all()
    assert set(stored) == set(outcome.expected)
