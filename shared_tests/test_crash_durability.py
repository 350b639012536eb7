"""Killing the real server mid-write loses no acknowledged todo and leaves none half-written.

Eight clients create todos at once; a moment after the first 201 the server gets SIGKILL (no
shutdown, no chance to flush anything) and is started again on the same database. Every todo
it acknowledged must be there exactly as acknowledged. A write that was cut off may or may not
have been stored, but if it was, it is intact and stored once. The rounds share one database,
so each start also recovers from the previous kill.

On SQLite this is what WAL with ``synchronous=NORMAL`` promises for a crash of the process (see
the README); on PostgreSQL and MariaDB the app is killed, not the database server. Each test
prints its figures (run with ``-s -p no:xdist`` to see them).
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared_tests.backends import takes_the_long_run
from shared_tests.live_server import TLS_CONTEXT, LiveServer, live_server
from shared_tests.writers import Tally, Writers

# SIGKILL rounds on a real server process; load that repeats paths the contract tests measure,
# so it is left out of coverage (shared_tests.plugin)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

WRITERS = 8
ROUNDS = 3
SHORT_RUN_ROUNDS = 1
"""Three SIGKILL rounds on the pairs of variant and backend that take the long run
(``takes_the_long_run``: every variant and every backend once at least), one elsewhere."""
WRITE_SECONDS = 0.5
"""How long the writers go on after the first acknowledgement before the kill (hundreds of
acknowledged writes per round at 0.5 s; it was 1 s, on 20 rounds of the suite)."""
FIRST_ACK_TIMEOUT_S = 60.0
PAGE = 1000


def stored_todos(server: LiveServer) -> list[dict[str, Any]]:
    """Every todo the server has, page by page."""
    todos: list[dict[str, Any]] = []
    with httpx.Client(base_url=server.base_url, timeout=30.0, verify=TLS_CONTEXT) as client:
        while True:
            page = client.get("/todos", params={"limit": PAGE, "offset": len(todos)})
            assert page.status_code == 200, page.text
            todos += page.json()
            if len(page.json()) < PAGE:
                return todos


def assert_survivors(stored: list[dict[str, Any]], history: Tally) -> None:
    """Every acknowledged todo is stored as acknowledged; every stored one is intact, once."""
    duplicates = [title for title, n in Counter(t["title"] for t in stored).items() if n > 1]
    assert not duplicates, f"stored more than once: {duplicates[:5]}"
    by_title = {todo["title"]: todo for todo in stored}
    strangers = set(by_title) - set(history.sent)
    assert not strangers, f"stored but never sent (a damaged title?): {sorted(strangers)[:5]}"
    damaged = [
        todo
        for title, todo in by_title.items()
        if todo["priority"] != history.sent[title]["priority"] or todo["completed"] is not False
    ]
    assert not damaged, f"stored with other fields than were sent: {damaged[:5]}"
    lost = [title for title in history.acknowledged if title not in by_title]
    assert not lost, f"{len(lost)} of {len(history.acknowledged)} acknowledged lost: {lost[:5]}"
    changed = [body for title, body in history.acknowledged.items() if by_title[title] != body]
    assert not changed, f"stored otherwise than acknowledged: {changed[:5]}"


def write_until_killed(server: LiveServer, label: str) -> Tally:
    """Let the writers run, SIGKILL the server in the middle of their requests, and tally."""
    writers = Writers(server.base_url, label, WRITERS)
    writers.start()
    try:
        assert writers.wait_for_acknowledgements(1, FIRST_ACK_TIMEOUT_S), (
            f"no write acknowledged within {FIRST_ACK_TIMEOUT_S}s:\n{server.log()}"
        )
        time.sleep(WRITE_SECONDS)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    finally:
        tally = writers.finish()
    assert server.process.returncode == -signal.SIGKILL, server.log()
    assert not tally.refused, f"refused before the kill: {tally.refused[:3]}\n{server.log()}"
    assert tally.cut_off, "the kill interrupted no request: it did not happen mid-write"
    return tally


def merge(history: Tally, tally: Tally) -> None:
    history.sent.update(tally.sent)
    history.acknowledged.update(tally.acknowledged)
    history.cut_off += tally.cut_off


def test_every_acknowledged_todo_survives_the_server_being_killed_mid_write(
    app_kind: str, backend: str, database_url: str, tmp_path: Path
) -> None:
    args = ["--database-url", database_url]
    history = Tally()
    rounds: list[Tally] = []
    kills = ROUNDS if takes_the_long_run(app_kind, backend) else SHORT_RUN_ROUNDS
    for number in range(1, kills + 1):
        with live_server(app_kind, args, cwd=tmp_path) as server:
            assert_survivors(stored_todos(server), history)
            tally = write_until_killed(server, f"round {number}")
        merge(history, tally)
        rounds.append(tally)
    with live_server(app_kind, args, cwd=tmp_path) as server:
        stored = stored_todos(server)
        assert_survivors(stored, history)

    titles = {todo["title"] for todo in stored}
    acknowledged = [len(tally.acknowledged) for tally in rounds]
    cut_off = [len(tally.cut_off) for tally in rounds]
    kept = [sum(title in titles for title, _ in tally.cut_off) for tally in rounds]
    print(
        f"\ncrash durability {app_kind}/{backend}: {len(rounds)} rounds survived; "
        f"acknowledged per round {acknowledged} ({sum(acknowledged)} in all), all kept; "
        f"cut off per round {cut_off}, of which stored {kept}"
    )
