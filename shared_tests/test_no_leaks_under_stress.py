"""Thousands of mixed requests, every error path included, leak neither connections nor memory.

One app instance serves a repeating mix of normal CRUD and every error the contract names
(404, 405, 413, 422). Throughout, the database server holds no more connections for the test's
database than the pool may open (for SQLite: no more open handles on the file); afterwards no
connection is checked out; and the process's memory at the end is within a stated bound of
what it was after the first window of requests.

The full 4,000 requests (windows of 1,000) run on the pairs of variant and backend that take
the long run (``takes_the_long_run``: every variant and every backend once at least); the
other pairs run 1,000, with windows of 500 that do not overlap.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import NullPool, create_engine, make_url, text

from shared_tests.backends import SERVER_URLS, takes_the_long_run
from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from todo_contract.settings import Settings

# thousands of requests per app; load that repeats paths the contract tests measure,
# so it is left out of coverage (shared_tests.plugin)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

FULL_REQUESTS = 4_000
SHORT_REQUESTS = 1_000
WINDOWS = {FULL_REQUESTS: 1_000, SHORT_REQUESTS: 500}
"""The first and last windows of each run: memory is read after the first and at the end."""
SAMPLE_EVERY = 250
# Growth between the first and the last window measured 0–228 KiB over the six combinations
# when this bound was set (allocator noise; caches fill in the first window). 8 MB is over 30
# times that, yet a leak of 2.7 KB per request over the 3,000 requests between the two readings
# of a full run (16 KB per request over the 500 of a short one) crosses it; leaking a connection
# or Session per request fails far sooner, when the pool runs dry. (The runs were 6,000 and
# 2,000 requests: 106 s of the suite's time over the twelve pairs.)
MEMORY_GROWTH_BOUND = 8 * 1024 * 1024
PAD = json.dumps({"title": "too big", "pad": "x" * 70_000}).encode()
JSON_HEADERS = {"content-type": "application/json"}


def one_round(client: TestClient, round_number: int) -> int:
    """One cycle of the mix; every status is asserted. Returns how many requests it sent."""
    expected_and_sent = [
        (201, client.post("/todos", json={"title": f"todo {round_number}", "priority": 1})),
    ]
    todo_id = expected_and_sent[0][1].json()["id"]
    missing = todo_id + 1_000_000
    expected_and_sent += [
        (200, client.get(f"/todos/{todo_id}")),
        (200, client.get("/todos?completed=false&limit=5")),
        (200, client.get("/todos/count")),
        (
            200,
            client.put(f"/todos/{todo_id}", json={"title": "t", "completed": True, "priority": 2}),
        ),
        (200, client.patch(f"/todos/{todo_id}", json={"completed": False})),
        (404, client.get(f"/todos/{missing}")),
        (404, client.patch(f"/todos/{missing}", json={"priority": 3})),
        (405, client.delete("/todos")),
        (405, client.post("/todos/count")),
        (413, client.post("/todos", content=PAD, headers=JSON_HEADERS)),
        (422, client.post("/todos", json={"title": "", "priority": 1.5})),
        (422, client.get("/todos/abc")),
        (422, client.get("/todos?limit=0")),
        (422, client.patch(f"/todos/{todo_id}", json={})),
        (422, client.post("/todos", content=b"{not json", headers=JSON_HEADERS)),
        (200, client.get("/health")),
        (204, client.delete(f"/todos/{todo_id}")),
        (404, client.delete(f"/todos/{todo_id}")),
    ]
    for expected, response in expected_and_sent:
        assert response.status_code == expected, (expected, response.request.url, response.text)
    return len(expected_and_sent)


@contextmanager
def connection_counter(backend: str, database_url: str) -> Iterator[Callable[[], int]]:
    """A function counting the connections the database holds open for the test's database.

    PostgreSQL and MariaDB are asked (from a separate database, so the count leaves the
    asking connection out); for SQLite, the process's open handles on the database file count.
    """
    database = make_url(database_url).database
    if backend == "sqlite":
        path = str(Path(str(database)).resolve())
        yield lambda: sum(1 for f in psutil.Process().open_files() if f.path == path)
        return
    query = {
        "postgresql": "SELECT count(*) FROM pg_stat_activity WHERE datname = :name",
        "mariadb": "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = :name",
    }[backend]
    monitor = create_engine(SERVER_URLS[backend], poolclass=NullPool)

    def count() -> int:
        with monitor.connect() as connection:
            return int(connection.execute(text(query), {"name": database}).scalar_one())

    try:
        yield count
    finally:
        monitor.dispose()


def resident_memory() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def test_mixed_requests_leak_no_connections_and_no_memory(
    create_app: AppFactory, database_url: str, app_kind: str, backend: str
) -> None:
    total = FULL_REQUESTS if takes_the_long_run(app_kind, backend) else SHORT_REQUESTS
    settings = Settings()
    app = create_app(database_url, settings=settings)
    samples: list[int] = []
    sent = 0
    started = time.perf_counter()

    with connection_counter(backend, database_url) as server_connections, TestClient(app) as client:
        round_number = 0
        next_sample = SAMPLE_EVERY
        after_first_window: int | None = None
        window = WINDOWS[total]
        last_window_start = total - window
        while sent < total:
            sent += one_round(client, round_number)
            round_number += 1
            if sent >= next_sample:
                samples.append(server_connections())
                next_sample += SAMPLE_EVERY
            if after_first_window is None and sent >= window:
                after_first_window = resident_memory()
        after_last_window = resident_memory()
        assert_no_checked_out_connections(app)
        assert server_connections() <= settings.pool_size

    growth = after_last_window - (after_first_window or 0)
    print(
        f"\n{app_kind}/{backend}: {sent} requests in {time.perf_counter() - started:.1f} s; "
        f"connections sampled {len(samples)}x, at most {max(samples)}; "
        f"RSS {after_first_window} -> {after_last_window} ({growth / 1024:+.0f} KiB) "
        f"between the first and the last {window} requests (window starts at {last_window_start})"
    )
    assert samples, "no connection count was sampled"
    assert max(samples) <= settings.pool_size, samples
    assert min(samples) >= 1, "the count never saw the app's own connection"
    assert growth <= MEMORY_GROWTH_BOUND, f"RSS grew by {growth} bytes"
