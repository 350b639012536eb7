"""The benchmark's load layer (``benchmarks.load``, ``builtin_load``, ``wrk``) against a real
``orm_app`` server (SQLite), plus wrk's glue.

One server serves the whole module: starting one costs about a second, and these tests
check what the generator reports, not the app. No test asserts a speed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks import builtin_load, load, wrk
from benchmarks.database import BenchDatabase
from benchmarks.ladder import compared_pairs, sync_variants
from benchmarks.load import LoadStats, RequestMix, run_load
from benchmarks.servers import (
    Server,
    ServerDied,
    available_cpus,
    fault_report,
    free_port,
    serve,
)
from benchmarks.wire import WireConfig, WirePlan, measure_wire

SEEDED = 5
UPPER, LOWER = compared_pairs()[0]  # orm over core
RUN_S = 1.0
WARMUP_S = 0.2
WINDOW_SLACK_S = 0.15
"""How far a wrk window may stray from the one asked for: wrk stops on its 100 ms tick, one
tick late when the machine is busy; far from the whole second ``-d`` would have made it."""

# A real run: wrk 4.1.0 (Debian) with the generated script on GET /todos/{id} and a missing id,
# against orm_app, stopped by the harness after 0.5 s; the last line is what done() printed.
WRK_SAMPLE_OUTPUT = """\
Running 6s test @ http://127.0.0.1:35857
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.56ms    3.41ms  24.01ms   77.59%
    Req/Sec   471.00     77.55   578.00     70.00%
  Latency Distribution
     50%    7.54ms
     75%   10.44ms
     90%   12.90ms
     99%   20.53ms
  471 requests in 500.31ms, 98.61KB read
  Non-2xx or 3xx responses: 236
Requests/sec:    941.40
Transfer/sec:     97.80KB
WRK_LOAD_JSON {"requests":471,"duration_us":500307,"connect":0,"read":0,"write":0,\
"status":236,"timeout":0,"p50_us":7543.0,"p90_us":12902.0,"p99_us":20527.0,"max_us":24011.0,\
"sent":475,"expected":200,"unexpected":{"404":236}}
"""


def orm_command(port: int, database: Path) -> list[str]:
    """``python -m orm_app`` on ``port``, serving the SQLite file ``database``."""
    url = f"sqlite:///{database}"
    return [
        sys.executable,
        "-m",
        "orm_app",
        "--port",
        str(port),
        "--database-url",
        url,
        "--log-level",
        "warning",
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One orm_app server for the module, pinned to the first CPU."""
    directory = tmp_path_factory.mktemp("load")
    port = free_port()
    command = orm_command(port, directory / "todos.db")
    cpu = available_cpus()[0]
    with serve(command, port=port, cpu=cpu, log_path=directory / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def seeded_ids(server: Server) -> list[int]:
    """The ids of a few todos created over HTTP before any load."""
    with httpx.Client(base_url=server.base_url) as client:
        return [
            client.post("/todos", json={"title": f"seed {n}"}).raise_for_status().json()["id"]
            for n in range(SEEDED)
        ]


def todo_count(server: Server) -> int:
    """How many todos the server holds now."""
    total: int = httpx.get(f"{server.base_url}/todos/count").raise_for_status().json()["total"]
    return total


def load_cpu() -> int:
    """The generator's CPU: the last one, away from the server when there are two or more."""
    return available_cpus()[-1]


def run_builtin(server: Server, mix: RequestMix, concurrency: int) -> LoadStats:
    """A short builtin-generator run against ``server``."""
    return run_load(
        server.base_url,
        mix,
        concurrency=concurrency,
        duration_s=RUN_S,
        warmup_s=WARMUP_S,
        cpu=load_cpu(),
        generator="builtin",
    )


def assert_percentiles_ordered(stats: LoadStats) -> None:
    latency = stats.latency_ms
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
def test_the_builtin_generator_reads_todos_without_errors(
    server: Server, seeded_ids: list[int], concurrency: int
) -> None:
    mix = RequestMix.get([f"/todos/{todo_id}" for todo_id in seeded_ids])

    stats = run_builtin(server, mix, concurrency)

    assert stats.generator == "builtin"
    assert stats.concurrency == concurrency
    assert stats.requests > 0
    assert (stats.errors, stats.unexpected, stats.timeouts) == (0, 0, 0)
    assert stats.duration_s == pytest.approx(RUN_S)
    assert stats.requests_per_s == pytest.approx(stats.requests / stats.duration_s)
    assert_percentiles_ordered(stats)


@pytest.mark.slow
@pytest.mark.parametrize("generator", load.GENERATORS)
def test_responses_to_a_missing_todo_count_as_unexpected_statuses(
    server: Server, seeded_ids: list[int], generator: str
) -> None:
    mix = RequestMix.get([f"/todos/{seeded_ids[0]}", "/todos/999999999"])

    stats = run_load(
        server.base_url,
        mix,
        concurrency=2,
        duration_s=0.5,
        warmup_s=0.1,
        cpu=load_cpu(),
        generator=generator,
    )

    assert set(stats.unexpected_statuses) == {"404"}
    assert 0 < stats.unexpected < stats.requests
    assert (stats.errors, stats.timeouts) == (0, 0)


@pytest.mark.slow
def test_a_status_other_than_the_expected_one_is_unexpected_even_when_2xx(
    server: Server, seeded_ids: list[int]
) -> None:
    mix = RequestMix("GET", (f"/todos/{seeded_ids[0]}",), expected_status=204)

    stats = run_builtin(server, mix, 1)

    assert stats.unexpected_statuses == {"200": stats.requests}


@pytest.mark.slow
@pytest.mark.parametrize("duration_s", [0.2, 0.5])
def test_a_wrk_window_shorter_than_a_second_lasts_what_was_asked(
    server: Server, seeded_ids: list[int], duration_s: float
) -> None:
    mix = RequestMix.get([f"/todos/{todo_id}" for todo_id in seeded_ids])

    stats = run_load(
        server.base_url,
        mix,
        concurrency=2,
        duration_s=duration_s,
        warmup_s=0.2,
        cpu=load_cpu(),
        generator="wrk",
    )

    assert stats.duration_s == pytest.approx(duration_s, abs=WINDOW_SLACK_S)
    assert stats.warmup_s == pytest.approx(0.2, abs=WINDOW_SLACK_S)
    assert stats.requests_per_s == pytest.approx(stats.requests / stats.duration_s)


@pytest.mark.slow
def test_warm_ups_far_shorter_than_wrk_s_tick_end_at_its_next_tick_every_time(
    server: Server, seeded_ids: list[int]
) -> None:
    """The harness signals wrk only once it sleeps out its ``-d``: a signal that came before
    stopped the load but not the sleep, and half of these 0.05 s warm-ups lasted 6 s."""
    mix = RequestMix.get([f"/todos/{todo_id}" for todo_id in seeded_ids])

    warmups = [
        run_load(
            server.base_url,
            mix,
            concurrency=2,
            duration_s=0.1,
            warmup_s=0.05,
            cpu=load_cpu(),
            generator="wrk",
        ).warmup_s
        for _ in range(12)
    ]

    assert all(warmup == pytest.approx(0.1, abs=WINDOW_SLACK_S) for warmup in warmups), warmups


def test_a_sleeping_process_is_asleep_a_busy_one_is_not_and_a_gone_one_is_unknown() -> None:
    sleeping = subprocess.Popen(["sleep", "30"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 5
        while wrk.asleep(sleeping.pid) is not True and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wrk.asleep(sleeping.pid) is True
        assert wrk.asleep(busy.pid) is False
    finally:
        for process in (sleeping, busy):
            process.kill()
            process.wait()
    assert wrk.asleep(sleeping.pid) is None


FAKE_WRK = """
import signal, sys, time
print("Running 6s test @ http://127.0.0.1:1", flush=True)
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as wrk's sleep would, when the signal came early
time.sleep(0.8)
print(sys.argv[1])
"""
OVERRAN = WRK_SAMPLE_OUTPUT.split("\n", 1)[1]  # after "Running": 471 requests in 0.5 s, 475 sent
ON_TIME = OVERRAN.replace("500.31ms", "100.31ms").replace(
    '"duration_us":500307', '"duration_us":100307'
)


def fake_wrk(monkeypatch: pytest.MonkeyPatch, *outputs: str) -> list[str]:
    """Make every wrk run a process that ignores SIGINT and prints ``outputs`` in turn (the
    last one from then on); returns the scripts the runs were given, as they are filled."""
    scripts: list[str] = []

    def command(base_url: str, script: Path, *args: object) -> list[str]:
        scripts.append(script.read_text() if script.exists() else "")
        return [sys.executable, "-c", FAKE_WRK, outputs[min(len(scripts), len(outputs)) - 1]]

    monkeypatch.setattr(wrk, "wrk_command", command)
    return scripts


def one_window_without_warm_up(mix: RequestMix) -> LoadStats:
    """``run_wrk`` of one 0.1 s window at 4 connections, to whatever ``wrk_command`` gives."""
    return wrk.run_wrk(
        "http://127.0.0.1:1",
        mix,
        concurrency=4,
        duration_s=0.1,
        warmup_s=0.0,
        timeout_s=5.0,
        cpu=None,
    )


def test_a_wrk_run_that_outlasts_its_window_is_refused_not_turned_into_a_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_wrk(monkeypatch, OVERRAN)

    with pytest.raises(wrk.WrkOverrun, match="wrk ran 0.50 s for a window of 0.1 s"):
        wrk.wrk_once("http://127.0.0.1:1", tmp_path / "unused.lua", 4, 0.1, 5.0, None)


def test_a_warm_up_that_outlasts_its_window_is_kept_as_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm-up publishes no rate: a long one costs time, and is recorded as it ran."""
    fake_wrk(monkeypatch, OVERRAN)

    stats, sent = wrk.wrk_once(
        "http://127.0.0.1:1", tmp_path / "unused.lua", 4, 0.1, 5.0, None, refuse_overrun=False
    )

    assert stats.duration_s == pytest.approx(0.5, abs=0.01)
    assert sent == 475


def test_a_refused_window_is_measured_again_on_the_paths_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first measured run overruns its 0.1 s window, the second does not: the rate is the
    second run's, and it starts on the path after the 475 the first one sent."""
    scripts = fake_wrk(monkeypatch, OVERRAN, ON_TIME)
    mix = RequestMix.get([f"/todos/{n}" for n in range(1, 11)])

    stats = one_window_without_warm_up(mix)

    assert stats.duration_s == pytest.approx(0.1, abs=0.01)
    assert stats.sent_requests == 2 * 475
    assert [wrk.lua_script(mix, start=start) for start in (0, 475)] == scripts


def test_a_window_that_overruns_every_time_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = fake_wrk(monkeypatch, OVERRAN)

    with pytest.raises(wrk.WrkOverrun):
        one_window_without_warm_up(RequestMix.get(["/todos/1"]))
    assert len(scripts) == wrk.WRK_ATTEMPTS


@pytest.mark.slow
def test_every_post_the_generator_reports_created_exactly_one_todo(
    server: Server, seeded_ids: list[int]
) -> None:
    before = todo_count(server)
    mix = RequestMix.send_json("POST", ["/todos"], {"title": "load"}, expected_status=201)

    stats = run_builtin(server, mix, 4)

    assert (stats.errors, stats.unexpected, stats.timeouts) == (0, 0, 0)
    assert stats.requests > 0
    assert todo_count(server) == before + stats.handled_requests


def test_requests_left_unanswered_count_as_timeouts_not_requests() -> None:
    with socket.socket() as silent:  # listens (the kernel accepts) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]

        stats = run_load(
            f"http://127.0.0.1:{port}",
            RequestMix.get(["/health"]),
            concurrency=1,
            duration_s=0.5,
            warmup_s=0,
            timeout_s=0.2,
            generator="builtin",
        )

    assert stats.timeouts >= 1
    assert (stats.requests, stats.errors) == (0, 0)
    assert stats.latency_ms == {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}


@pytest.mark.parametrize("module", ["benchmarks.builtin_load", "benchmarks.load"])
def test_the_builtin_child_runs_as_its_own_module_and_as_the_load_module(module: str) -> None:
    """``python -m benchmarks.load`` started the child before the split, and still does."""
    with socket.socket() as silent:  # listens (the kernel accepts) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        host, port = silent.getsockname()
        config = {
            "host": host,
            "port": port,
            "requests": ["GET /health HTTP/1.1\r\nHost: x\r\n\r\n"],
            "concurrency": 1,
            "duration_s": 0.3,
            "warmup_s": 0,
            "timeout_s": 0.1,
            "expected_status": 200,
        }
        completed = subprocess.run(
            [sys.executable, "-m", module],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )

    stats = LoadStats(**json.loads(completed.stdout))
    assert (stats.generator, stats.requests) == ("builtin", 0)
    assert stats.timeouts >= 1


def test_a_server_that_exits_fails_serve_with_its_output(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('no database here'); raise SystemExit(3)"]

    with (
        pytest.raises(RuntimeError, match="(?s)status 3.*no database here"),
        serve(command, port=free_port(), cpu=None, log_path=tmp_path / "server.log"),
    ):
        pass


CRASHING_SERVER = """
import ctypes, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/crash":
            ctypes.string_at(0)  # a segmentation fault, as in a faulty C extension
        self.send_response(200)
        self.end_headers()

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_a_server_killed_by_a_signal_is_named_with_the_signal_and_its_traceback(
    tmp_path: Path,
) -> None:
    port = free_port()
    command = [sys.executable, "-c", CRASHING_SERVER, str(port)]
    with serve(command, port=port, cpu=None, log_path=tmp_path / "server.log") as server:
        server.ensure_alive("orm", "get_one at c16")  # alive: nothing to say
        with pytest.raises(httpx.RemoteProtocolError):  # the connection closes unanswered
            httpx.get(f"{server.base_url}/crash")
        server.process.wait(timeout=10)
        with pytest.raises(ServerDied) as died:
            server.ensure_alive("orm", "get_one at c16")
    message = str(died.value)
    assert f"the orm server (pid {server.pid}) was found dead after get_one at c16" in message
    assert "killed by SIGSEGV" in message
    assert "Fatal Python error: Segmentation fault" in message  # faulthandler, on by default
    assert "do_GET" in message  # the Python frames where it happened


def test_of_faulthandler_s_output_only_the_thread_that_faulted_is_kept() -> None:
    idle = 'Thread 0x{0} (most recent call first):\n  File "queue.py", line 171 in get\n'
    log = (
        "INFO:     Started server process\n"
        "Fatal Python error: Segmentation fault\n\n"
        + "\n".join(idle.format(n) for n in range(40))
        + "\nCurrent thread 0xff (most recent call first):\n"
        '  File "sqlalchemy/orm/session.py", line 2510 in close\n'
        '  File "orm_app/db.py", line 40 in get_session\n\n'
        + "\n".join(idle.format(n) for n in range(40, 80))
        + "\n\nExtension modules: pydantic_core._pydantic_core (total: 1)\n"
    )
    assert fault_report(log) == (
        "Fatal Python error: Segmentation fault\n"
        "Current thread 0xff (most recent call first):\n"
        '  File "sqlalchemy/orm/session.py", line 2510 in close\n'
        '  File "orm_app/db.py", line 40 in get_session\n'
        "Extension modules: pydantic_core._pydantic_core (total: 1)"
    )
    assert fault_report("INFO:     Started server process\n") is None


def test_a_server_that_never_answers_fails_serve_and_is_stopped(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time; time.sleep(60)"]

    with (
        pytest.raises(RuntimeError, match="not ready within 0.5s"),
        serve(command, port=free_port(), cpu=None, log_path=tmp_path / "server.log", timeout=0.5),
    ):
        pass


def test_the_request_mix_cycles_over_paths_from_a_different_start_per_worker() -> None:
    mix = RequestMix.get(["/todos/1", "/todos/2", "/todos/3"])

    assert [mix.request(0, n)[1] for n in range(4)] == [
        "/todos/1",
        "/todos/2",
        "/todos/3",
        "/todos/1",
    ]
    assert mix.request(1, 0) == ("GET", "/todos/2", None)


def test_a_json_mix_sends_its_body_with_a_content_length() -> None:
    mix = RequestMix.send_json("post", ["/todos"], {"title": "x"})

    (raw,) = builtin_load.encoded_requests(mix, "127.0.0.1", 8000)

    assert raw.startswith(b"POST /todos HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert b"Content-Length: 13\r\n" in raw
    assert raw.endswith(b'\r\n\r\n{"title":"x"}')


def test_the_wrk_script_sends_every_path_with_the_method_and_body() -> None:
    mix = RequestMix.send_json("PATCH", ["/todos/7", "/todos/8"], {"title": 'say "hi"'})

    script = wrk.lua_script(mix)

    assert 'local paths = {"/todos/7", "/todos/8"}' in script
    assert 'local method = "PATCH"' in script
    assert r'local body = "{\034title\034:\034say \092\034hi\092\034\034}"' in script
    assert '{["Content-Type"] = "application/json"}' in script
    assert f"'{wrk.WRK_MARKER}{{" in script
    assert "local expected = 200" in script
    assert "local start = 0" in script


def test_the_wrk_script_starts_where_it_is_told_and_expects_the_mixs_status() -> None:
    mix = RequestMix("DELETE", ("/todos/1", "/todos/2"), expected_status=204)

    script = wrk.lua_script(mix, start=1234)

    assert "local expected = 204" in script
    assert "local start = 1234" in script
    assert "return requests[(start + sent - 1) % #requests + 1]" in script


def test_the_wrk_script_for_a_get_mix_sends_no_body() -> None:
    script = wrk.lua_script(RequestMix.get(["/health"]))

    assert "local body = nil" in script
    assert "local headers = {}" in script


def test_the_wrk_command_runs_one_thread_for_whole_seconds(tmp_path: Path) -> None:
    command = wrk.wrk_command("http://127.0.0.1:8000", tmp_path / "mix.lua", 16, 2.5, 0.5)

    assert command == [
        "wrk",
        "-t1",
        "-c16",
        "-d3s",
        "--latency",
        "--timeout",
        "1s",
        "-s",
        str(tmp_path / "mix.lua"),
        "http://127.0.0.1:8000",
    ]


def test_parsing_wrk_output_reads_the_json_line_in_milliseconds() -> None:
    stats = wrk.parse_wrk_output(WRK_SAMPLE_OUTPUT, 4)

    assert stats.generator == "wrk"
    assert stats.requests == 471
    assert stats.duration_s == pytest.approx(0.500307)
    assert stats.requests_per_s == pytest.approx(471 / 0.500307)
    assert stats.latency_ms == pytest.approx(
        {"p50": 7.543, "p90": 12.902, "p99": 20.527, "max": 24.011}
    )
    assert (stats.errors, stats.timeouts) == (0, 0)
    assert (stats.expected_status, stats.unexpected_statuses) == (200, {"404": 236})


def test_wrk_socket_errors_count_as_errors_and_its_timeouts_as_timeouts() -> None:
    line = (
        'WRK_LOAD_JSON {"requests":10,"duration_us":1000000,"connect":1,"read":2,"write":3,'
        '"status":4,"timeout":5,"p50_us":1.0,"p90_us":2.0,"p99_us":3.0,"max_us":4.0,'
        '"sent":12,"expected":201,"unexpected":{"500":1,"404":3}}'
    )

    stats = wrk.parse_wrk_output(line, 1)

    assert (stats.errors, stats.timeouts) == (1 + 2 + 3, 5)
    assert stats.unexpected_statuses == {"404": 3, "500": 1}
    assert stats.unexpected == 4


def test_wrk_output_without_the_json_line_is_refused() -> None:
    with pytest.raises(RuntimeError, match="no WRK_LOAD_JSON line"):
        wrk.parse_wrk_output("unable to connect to 127.0.0.1:8000\n", 4)


def test_auto_prefers_wrk_only_when_it_is_on_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert load.choose_generator() == "builtin"
    with pytest.raises(RuntimeError, match="wrk is not on PATH"):
        load.choose_generator("wrk")

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert load.choose_generator() == "wrk"
    assert load.choose_generator("builtin") == "builtin"


def test_load_stats_become_the_reports_load_run() -> None:
    stats = wrk.parse_wrk_output(WRK_SAMPLE_OUTPUT, 4)

    run = load.to_load_run(stats, backend="sqlite", app="orm", endpoint="get_todo", concurrency=4)

    assert (run.backend, run.app, run.endpoint, run.concurrency) == ("sqlite", "orm", "get_todo", 4)
    assert (run.generator, run.requests, run.errors, run.timeouts) == ("wrk", 471, 0, 0)
    assert run.latency_ms == stats.latency_ms
    assert (run.unexpected, run.invalid) == (236, True)
    assert run.window_s == [pytest.approx(0.500307)]


# --- a DELETE cell, as the benchmark runs it, with each generator --------------------------


@pytest.mark.slow
@pytest.mark.unmeasured  # two servers under load; the contract tests measure what they run
@pytest.mark.parametrize("generator", load.GENERATORS)
def test_a_delete_cell_answers_only_204_with_each_generator(
    bench: BenchDatabase, tmp_path: Path, generator: str
) -> None:
    """The warm-up and the measured window delete different ids: every DELETE that the cell
    measures finds its row (a 404 would make the cell invalid and is counted)."""
    plan = WirePlan(
        configs=(WireConfig("delete", 4),),
        repeats=2,
        duration_s=0.3,
        warmup_s=0.2,
        generator=generator,
    )

    runs = measure_wire(bench, plan, tmp_path)

    assert {run.app for run in runs} == {variant.name for variant in sync_variants()}
    for run in runs:
        assert run.generator == generator
        assert run.expected_status == 204
        assert run.requests > 0
        assert (run.unexpected_statuses, run.errors, run.timeouts) == ({}, 0, 0), run.app
        assert not run.invalid
        assert len(run.window_s) == 2
        assert all(window == pytest.approx(0.3, abs=WINDOW_SLACK_S) for window in run.window_s)
        assert run.warmup_s == pytest.approx(0.2, abs=WINDOW_SLACK_S)
    assert all(run.ratios for run in runs if run.app == "orm")
    # every window also measured the server's CPU per request it handled
    for run in runs:
        assert len(run.cpu_us_per_request_samples) == 2, run.app
        assert all(50 < cpu < 100_000 for cpu in run.cpu_us_per_request_samples), run
    assert all(run.cpu_ratios for run in runs if run.app == "orm")


@pytest.mark.slow
@pytest.mark.unmeasured  # real servers under load; the contract tests measure what they run
@pytest.mark.backends("sqlite")
def test_a_server_that_crashes_in_a_window_is_restarted_and_the_window_measured_again(
    bench: BenchDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ORM server gets a SIGSEGV just before its first window: that window finds it dead
    (faulthandler names the signal), a new server measures the window, and the cell keeps
    both rounds, valid, with the crash recorded."""
    started: dict[str, Server] = {}

    @contextmanager
    def recording_serve(*args: Any, **kwargs: Any) -> Iterator[Server]:
        with serve(*args, **kwargs) as running:
            started[running.base_url] = running
            yield running

    def run_load_crashing_orm_once(base_url: str, mix: RequestMix, **kwargs: Any) -> LoadStats:
        target = started[base_url]
        if target.log_path.name == f"server-{UPPER}-1.log" and target.process.poll() is None:
            os.kill(target.pid, signal.SIGSEGV)
            target.process.wait(timeout=10)
        return run_load(base_url, mix, **kwargs)

    monkeypatch.setattr("benchmarks.wire.serve", recording_serve)
    monkeypatch.setattr("benchmarks.wire.run_load", run_load_crashing_orm_once)
    plan = WirePlan(configs=(WireConfig("get_one", 4),), repeats=2, duration_s=0.3, warmup_s=0.1)

    runs = {run.app: run for run in measure_wire(bench, plan, tmp_path)}

    crashed = runs[UPPER]
    assert len(crashed.server_crashes) == 1
    crash = crashed.server_crashes[0]
    assert crash.round == 1
    assert crash.summary.startswith(f"{UPPER} server killed by SIGSEGV in ")
    assert crash.fault.startswith("Fatal Python error: Segmentation fault")
    assert (crashed.repeats, crashed.errors, crashed.invalid) == (2, 0, False)
    assert all(rate > 0 for rate in crashed.requests_per_s_samples)
    assert (tmp_path / f"server-{UPPER}-1-restart1.log").exists()
    assert runs[LOWER].server_crashes == []
