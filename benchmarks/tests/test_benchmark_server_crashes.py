"""A server that crashes under load: its broken window is measured again on a restarted
server, once, and the crash is reported where a reader sees it first; a server that crashes
again, or too often, ends the run.

The servers here are stand-ins (no process): ``survive_one_crash`` only starts them and hands
them to the window. ``test_benchmark_load`` crashes a real server under a real window.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import pytest

from benchmarks.ladder import compared_pairs
from benchmarks.load import LoadStats
from benchmarks.report import render_markdown
from benchmarks.results import LoadRun, ServerCrash
from benchmarks.servers import Server, ServerDied, faulting_frame
from benchmarks.terminal import status_line
from benchmarks.tests.test_benchmark_invalid_cells import report_of, window
from benchmarks.wire import MAX_RESTARTS, Fleet, summarize, survive_one_crash

UPPER, LOWER = compared_pairs()[0]  # orm over core
KEY = (UPPER, 1)
SEGFAULT = f"{UPPER} server killed by SIGSEGV in list_todos (orm_app/repository.py, line 70)"
FAULT = (
    "Fatal Python error: Segmentation fault\n"
    "Current thread 0xff (most recent call first):\n"
    '  File "/x/orm_app/repository.py", line 70 in list_todos'
)


def fleet() -> Fleet:
    """Servers numbered by the time they were started: 0 first, then each restart."""

    def start(app: str, workers: int, generation: int) -> Server:
        return Server(f"http://{app}-{workers}-{generation}", generation, cast(Any, None), Path())

    servers = Fleet(start)
    servers.running[KEY] = start(*KEY, 0)
    return servers


def crashing_on(*generations: int) -> Any:
    """A window that crashes the servers of these generations and serves on the others."""

    def run(server: Server) -> LoadStats:
        if server.pid in generations:
            raise ServerDied(f"the server {server.pid} was found dead", SEGFAULT, FAULT)
        return window(400, {})

    return run


def test_a_window_whose_server_crashed_is_measured_again_on_a_restarted_server() -> None:
    servers = fleet()

    stats, crash = survive_one_crash(servers, KEY, crashing_on(0))

    assert stats.requests == 400
    assert crash is not None
    assert (crash.summary, crash.fault) == (SEGFAULT, FAULT)
    assert servers[KEY].pid == 1  # the restarted server serves the rest of the run
    assert servers.restarts == 1


def test_a_window_without_a_crash_says_none() -> None:
    servers = fleet()

    assert survive_one_crash(servers, KEY, crashing_on())[1] is None
    assert servers.restarts == 0


def test_a_window_that_crashes_its_restarted_server_too_ends_the_run() -> None:
    with pytest.raises(ServerDied, match="already crashed in this window before it was restarted"):
        survive_one_crash(fleet(), KEY, crashing_on(0, 1))


def test_one_crash_more_than_the_run_survives_ends_it() -> None:
    servers = fleet()
    servers.restarts = MAX_RESTARTS

    with pytest.raises(ServerDied, match=f"server crash {MAX_RESTARTS + 1} of this run"):
        survive_one_crash(servers, KEY, crashing_on(0))


def crashed_cells() -> list[LoadRun]:
    stats = {
        (LOWER, "list_20", 16, 1): [window(400, {}, 200), window(410, {}, 200)],
        (UPPER, "list_20", 16, 1): [window(300, {}, 200), window(310, {}, 200)],
    }
    crashes = {(UPPER, "list_20", 16, 1): [ServerCrash(2, SEGFAULT, FAULT)]}
    return summarize("sqlite", stats, crashes)


def test_the_report_says_a_server_crashed_at_the_top_and_where_under_over_the_wire() -> None:
    report = report_of(crashed_cells())

    markdown = render_markdown(report, {})

    answer = markdown.split("## The answer", 1)[1].split("\n## ", 1)[0]
    assert f"**A server crashed under load 1 time(s) in this run ({UPPER}).**" in answer
    wire = markdown.split("## Over the wire on sqlite", 1)[1]
    assert f"- {UPPER}, list_20 at c16, round 2: {SEGFAULT}; measured again" in wire
    assert '  File "/x/orm_app/repository.py", line 70 in list_todos' in wire
    assert "Server crashes under load: 1" in status_line(report)


def test_a_run_without_crashes_says_nothing_about_them() -> None:
    report = report_of(summarize("sqlite", {(LOWER, "list_20", 16, 1): [window(4, {}, 200)]}))

    assert "crashed" not in render_markdown(report, {})
    assert "crashes" not in status_line(report)


def test_the_crashes_survive_the_json_and_an_older_report_has_none() -> None:
    run = next(run for run in crashed_cells() if run.app == UPPER)
    data = json.loads(json.dumps(asdict(run)))

    assert LoadRun.from_json(data).server_crashes == run.server_crashes
    del data["server_crashes"]
    assert LoadRun.from_json(data).server_crashes == []


def test_the_faulting_frame_is_the_innermost_of_the_thread_that_faulted() -> None:
    fault = (
        "Fatal Python error: Segmentation fault\n"
        "Current thread 0xff (most recent call first):\n"
        '  File "/x/site-packages/sqlalchemy/orm/session.py", line 2510 in _detach_states\n'
        '  File "/x/orm_app/db.py", line 40 in get_session\n'
    )

    assert faulting_frame(fault) == "_detach_states (orm/session.py, line 2510)"
    assert faulting_frame("Fatal Python error: Aborted\n") is None
