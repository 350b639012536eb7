"""Many clients at once on one real server process: no hang, no 5xx, no lost write.

Each client owns one todo and walks it through every operation while reading the shared list
and counts, so readers and writers interleave on every backend (SQLite's writers queue for
the write lock; PostgreSQL/MariaDB lock rows). Afterwards the server's count must equal the
creates it acknowledged minus the deletes it acknowledged, and every surviving todo must hold
the last values its owner wrote.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_tests.backends import takes_the_long_run
from shared_tests.live_server import TLS_CONTEXT, live_server

# many clients on a real server process; load that repeats paths the contract tests measure,
# so it is left out of coverage (shared_tests.plugin)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

LOAD_TIMEOUT_S = 240.0  # a bound against hangs, not a speed target
CLIENTS = 64
LONG_RUN_CLIENTS = 256
"""256 clients on one variant per backend, in turn (``takes_the_long_run``), 64 elsewhere:
every backend and every variant meets 256 at once, and each added variant adds 64-client runs."""
PATCHES_PER_CLIENT = 200
SHORT_RUN_PATCHES = 50
"""200 patches per client on the pairs that take the long run, 50 elsewhere."""


@dataclass
class Outcome:
    """What the clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    created: int = 0
    deleted: int = 0
    expected: dict[int, dict[str, Any]] = field(default_factory=dict)

    def expect(self, status: int, response: httpx.Response, what: str) -> bool:
        """Whether ``response`` has ``status``; a mismatch is recorded as a failure."""
        self.statuses[response.status_code] += 1
        if response.status_code != status:
            self.failures.append(f"{what}: {response.status_code} {response.text[:200]}")
            return False
        return True


async def one_client(base_url: str, number: int, outcome: Outcome) -> None:
    """One client with its own connection, as separate users have.

    (A shared client pool would hand out connections that sat idle past the server's
    keep-alive timeout, and lose the race with the server closing them.)
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, verify=TLS_CONTEXT) as http:
        await walk_a_todo(http, number, outcome)


async def walk_a_todo(http: httpx.AsyncClient, number: int, outcome: Outcome) -> None:
    """Create, read, list, count, patch, replace and (for every third client) delete a todo."""
    response = await http.post("/todos", json={"title": f"client {number}"})
    if not outcome.expect(201, response, "create"):
        return
    created: dict[str, Any] = response.json()
    outcome.created += 1
    path = f"/todos/{created['id']}"
    outcome.expect(200, await http.get(path), "get")
    outcome.expect(200, await http.get("/todos", params={"completed": "false"}), "filter")
    outcome.expect(200, await http.get("/todos/count"), "count")
    outcome.expect(200, await http.patch(path, json={"completed": True}), "patch")
    replaced = {"title": f"client {number} again", "completed": number % 2 == 0, "priority": 3}
    outcome.expect(200, await http.put(path, json=replaced), "put")
    outcome.expect(404, await http.get("/todos/999999999"), "missing")
    if number % 3 == 0:
        if outcome.expect(204, await http.delete(path), "delete"):
            outcome.deleted += 1
    else:
        outcome.expected[created["id"]] = replaced


async def run_clients(base_url: str, clients: int) -> Outcome:
    outcome = Outcome()
    await asyncio.wait_for(
        asyncio.gather(*(one_client(base_url, number, outcome) for number in range(clients))),
        LOAD_TIMEOUT_S,
    )
    return outcome


def assert_every_acknowledged_write_is_stored(
    base_url: str, outcome: Outcome, clients: int
) -> None:
    """Every client's todo was created; the count and the stored todos are what the clients
    were told: created minus deleted, each holding its owner's last acknowledged values."""
    assert outcome.created == clients
    count = httpx.get(f"{base_url}/todos/count").json()
    assert count["total"] == outcome.created - outcome.deleted
    stored = httpx.get(f"{base_url}/todos", params={"limit": 1000}).json()
    assert {
        todo["id"]: {key: todo[key] for key in ("title", "completed", "priority")}
        for todo in stored
    } == outcome.expected


def test_concurrent_clients_mixing_every_operation_get_no_errors_and_lose_nothing(
    app_kind: str, backend: str, database_url: str, tmp_path: Path
) -> None:
    clients = LONG_RUN_CLIENTS if takes_the_long_run(app_kind, backend) else CLIENTS
    args = ["--database-url", database_url, "--log-level", "warning"]
    with live_server(app_kind, args, cwd=tmp_path) as server:
        outcome = asyncio.run(run_clients(server.base_url, clients))

        assert outcome.failures == [], outcome.failures[:10]
        assert not any(status >= 500 for status in outcome.statuses), outcome.statuses
        assert_every_acknowledged_write_is_stored(server.base_url, outcome, clients)
        assert "Traceback" not in server.log()


def patch_repeatedly(
    base_url: str, path: str, field_name: str, patches: int, errors: list[str]
) -> None:
    with httpx.Client(base_url=base_url, timeout=60.0, verify=TLS_CONTEXT) as http:
        for number in range(patches):
            value: Any = f"title {number}" if field_name == "title" else number
            response = http.patch(path, json={field_name: value})
            if response.status_code != 200:
                errors.append(f"{field_name} #{number}: {response.status_code} {response.text}")


def test_two_clients_patching_different_fields_of_one_todo_both_keep_their_last_value(
    app_kind: str, backend: str, database_url: str, tmp_path: Path
) -> None:
    patches = PATCHES_PER_CLIENT if takes_the_long_run(app_kind, backend) else SHORT_RUN_PATCHES
    args = ["--database-url", database_url, "--log-level", "warning"]
    with live_server(app_kind, args, cwd=tmp_path) as server:
        todo = httpx.post(f"{server.base_url}/todos", json={"title": "contested"}).json()
        path = f"/todos/{todo['id']}"
        errors: list[str] = []
        writers = [
            threading.Thread(
                target=patch_repeatedly, args=(server.base_url, path, name, patches, errors)
            )
            for name in ("title", "priority")
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(LOAD_TIMEOUT_S)
        assert not any(writer.is_alive() for writer in writers), "a writer hung"

        assert errors == []
        final = httpx.get(f"{server.base_url}{path}").json()
        last = patches - 1
        assert (final["title"], final["priority"]) == (f"title {last}", last)


def test_a_burst_far_larger_than_the_pool_waits_its_turn_instead_of_deadlocking(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    # Two connections for 64 clients: without admission control, worker threads stuck in
    # the dependency waiting for a connection starve requests that hold one, until the pool
    # timeout turns the burst into 503s.
    args = ["--database-url", database_url, "--log-level", "warning"]
    env = {"TODO_POOL_SIZE": "2", "TODO_POOL_TIMEOUT": "3"}
    with live_server(app_kind, args, cwd=tmp_path, env=env) as server:
        outcome = asyncio.run(run_clients(server.base_url, 64))
        assert outcome.failures == [], outcome.failures[:10]
        assert outcome.created == 64
