"""Two requests introducing the same new tag at the same moment both succeed; the tag exists once.

A tag is created by the first request that uses it. Requests racing to create the same name
must neither fail on the unique name (a 5xx, or a 409 the contract does not have) nor create
it twice, nor deadlock when they name several new tags in different orders. Clients, each with
its own connection, are held at a barrier and released together on a real server process;
PostgreSQL and MariaDB run them truly at once, SQLite queues the writers (checked all the same).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_tests.live_server import TLS_CONTEXT, live_server

# a real server process per variant and backend; load that repeats paths the contract tests measure,
# so it is left out of coverage (shared_tests.plugin)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

CLIENTS = 8
ROUNDS = 2
TIMEOUT_S = 60.0


def fire_together(base_url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Send each ``(method, path, body)`` from its own client and thread, all released at once;
    return ``(status, body)`` per request, or the exception a client hit."""
    barrier = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def send(number: int, method: str, path: str, body: dict[str, Any]) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=TIMEOUT_S, verify=TLS_CONTEXT) as http:
                http.get("/health")  # the connection is open before the race starts
                barrier.wait(TIMEOUT_S)
                response = http.request(method, path, json=body)
                answers[number] = (response.status_code, response.json())
        except Exception as exc:  # reported by the test, not lost in the thread
            answers[number] = exc

    threads = [
        threading.Thread(target=send, args=(number, *request))
        for number, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return answers


def new_tags(round_number: int) -> list[str]:
    return [f"new-{round_number}-{letter}" for letter in "abc"]


def orders_of(tags: list[str], number: int) -> list[str]:
    """The same names in a different order (and case) for each client."""
    rotated = tags[number % len(tags) :] + tags[: number % len(tags)]
    ordered = rotated if number % 2 else list(reversed(rotated))
    return [name.upper() if number % 3 == 0 else name for name in ordered]


def test_concurrent_writes_introducing_the_same_new_tags_all_succeed_and_each_tag_exists_once(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    args = ["--database-url", database_url, "--log-level", "warning"]
    with live_server(app_kind, args, cwd=tmp_path) as server:
        expected: Counter[str] = Counter()
        todo_ids: list[int] = []
        for round_number in range(ROUNDS):
            tags = new_tags(round_number)
            if round_number == 0:  # creates
                requests = [
                    ("POST", "/todos", {"title": f"client {n}", "tags": orders_of(tags, n)})
                    for n in range(CLIENTS)
                ]
            else:  # every todo re-tagged at once with names no todo carried yet
                requests = [
                    ("PATCH", f"/todos/{todo_id}", {"tags": orders_of(tags, n)})
                    for n, todo_id in enumerate(todo_ids)
                ]
            answers = fire_together(server.base_url, requests)

            statuses = [
                answer if isinstance(answer, Exception) else answer[0] for answer in answers
            ]
            assert statuses == [201 if round_number == 0 else 200] * CLIENTS, answers
            assert all(body["tags"] == sorted(tags) for _, body in answers), answers
            todo_ids = todo_ids or [body["id"] for _, body in answers]
            expected = Counter(dict.fromkeys(tags, CLIENTS))

            listed = httpx.get(f"{server.base_url}/tags", params={"limit": 1000}).json()
            assert listed == [{"name": name, "todos": count} for name, count in expected.items()]
        for todo_id in todo_ids:
            todo = httpx.get(f"{server.base_url}/todos/{todo_id}").json()
            assert todo["tags"] == sorted(new_tags(ROUNDS - 1))
        assert "Traceback" not in server.log()
