"""The wrk load generator: a C client driven by a generated Lua script.

wrk itself is never the bottleneck. The script (:func:`lua_script`) sends the request mix's
paths in turn, counts responses whose status is not the expected one, and prints a summary
as one JSON line (after ``WRK_MARKER``) that :func:`parse_wrk_output` reads. wrk's ``-d``
takes whole seconds, so the harness times each window itself (:func:`wrk_once`).
"""

from __future__ import annotations

import json
import math
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.load import SUBPROCESS_SLACK_S, LoadStats, RequestMix
from benchmarks.servers import pin_to

WRK_MARKER = "WRK_LOAD_JSON "


def run_wrk(
    base_url: str,
    requests: RequestMix,
    *,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    timeout_s: float,
    cpu: int | None,
) -> LoadStats:
    """Run wrk once to warm up (when ``warmup_s`` > 0), then once to measure.

    The measured run's script starts where the warm-up's stopped in the list of paths, so the
    two never send the same path unless the whole list has been used (a DELETE would answer
    404 to an id the warm-up deleted). Each run is timed by the harness (see ``wrk_once``),
    so its window is the one asked for, not wrk's whole seconds.
    """
    with tempfile.TemporaryDirectory(prefix="wrk-") as directory:
        warmup: LoadStats | None = None
        sent = 0
        if warmup_s > 0:
            script = Path(directory) / "warmup.lua"
            script.write_text(lua_script(requests))
            warmup, sent = wrk_once(
                base_url, script, concurrency, warmup_s, timeout_s, cpu, refuse_overrun=False
            )
        for attempt in range(1, WRK_ATTEMPTS + 1):
            script = Path(directory) / f"measured-{attempt}.lua"
            script.write_text(lua_script(requests, start=sent))
            try:
                measured, sent_measured = wrk_once(
                    base_url, script, concurrency, duration_s, timeout_s, cpu
                )
                break
            except WrkOverrun as overrun:
                sent += overrun.sent  # its requests reached the server: the next run goes on
                if attempt == WRK_ATTEMPTS:
                    raise
                print(f"{overrun}; measuring the window again", file=sys.stderr)
    measured.warmup_requests = warmup.requests if warmup else 0
    measured.sent_requests = sent + sent_measured
    measured.warmup_s = warmup.duration_s if warmup else 0.0
    return measured


def wrk_once(
    base_url: str,
    script: Path,
    concurrency: int,
    duration_s: float,
    timeout_s: float,
    cpu: int | None,
    *,
    refuse_overrun: bool = True,
) -> tuple[LoadStats, int]:
    """One wrk run of ``duration_s``, parsed, with the number of requests it sent.

    wrk's ``-d`` takes whole seconds, so a 0.2 s window would become a 1 s run. Instead wrk
    is started with a longer ``-d`` and stopped with SIGINT once ``duration_s`` has passed
    since it said "Running" and went to sleep for its ``-d`` (``wait_until_asleep``: its
    SIGINT handler stops the run and still prints the summary, but only a signal that
    interrupts that sleep ends it early). wrk notices the signal at its next 100 ms tick, so
    the signal goes half a tick early: a window that is a multiple of 0.1 s then ends on time.
    Its summary's duration is the window that actually ran (recorded, and requests/s are
    computed on it). A run that outlasted its window by more than a few ticks raises
    ``WrkOverrun`` (``run_wrk`` measures the window again), unless ``refuse_overrun`` is off:
    a warm-up publishes no rate, so a long one only costs time, and is recorded as it ran.
    ``stdbuf -oL`` makes the "Running" line arrive at once.
    """
    command = wrk_command(base_url, script, concurrency, duration_s + WRK_SPARE_S, timeout_s)
    stdbuf = shutil.which("stdbuf")
    if stdbuf is None:
        raise RuntimeError("stdbuf (GNU coreutils) is needed to time wrk runs shorter than 1 s")
    process = subprocess.Popen(
        [stdbuf, "-oL", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=pin_to(cpu),
    )
    assert process.stdout is not None
    head = process.stdout.readline()  # "Running 3s test @ …", or nothing if wrk failed
    if head.startswith("Running"):
        wait_until_asleep(process.pid)
        time.sleep(max(0.0, duration_s - WRK_TICK_S / 2))
        stop_wrk(process)
    try:
        stdout, stderr = process.communicate(
            timeout=whole_seconds(duration_s + WRK_SPARE_S + timeout_s) + SUBPROCESS_SLACK_S
        )
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed (status {process.returncode}):\n{head}{stdout}\n{stderr}"
        )
    stats = parse_wrk_output(head + stdout, concurrency)
    sent = int(wrk_summary(head + stdout)["sent"])
    if refuse_overrun and stats.duration_s > whole_ticks(duration_s) + WRK_OVERRUN_S:
        # wrk's threads may have stopped at an early signal while its clock ran on to a later
        # one: its requests/s would then understate the rate.
        raise WrkOverrun(
            f"wrk ran {stats.duration_s:.2f} s for a window of {duration_s:g} s: it was not "
            "stopped when told, so its requests/s would not be the window's",
            sent,
        )
    return stats, sent


class WrkOverrun(RuntimeError):
    """A measured wrk run that ended well after its window: refused, never a rate."""

    def __init__(self, message: str, sent: int) -> None:
        super().__init__(message)
        self.sent = sent
        """The requests it sent all the same (they reached the server)."""


def wait_until_asleep(pid: int, timeout_s: float = 1.0) -> None:
    """Return once wrk's main thread sleeps out its ``-d`` (or after ``timeout_s``).

    wrk prints "Running" and then calls ``sleep()``; its SIGINT handler only sets a flag.
    A SIGINT that arrives between the two stops the load at the next tick, but not the
    sleep: wrk then waits out its whole ``-d`` (6 s for a 0.06 s warm-up) and reports that
    as the run's duration. Signalling only once the main thread is inside ``nanosleep``
    makes the signal cut the sleep short. Where ``/proc`` says nothing, the stop is retried
    instead (``stop_wrk``).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = asleep(pid)
        if state is not False:
            return
        time.sleep(0.001)


NANOSLEEP_CALLS = {"x86_64": {"35", "230"}, "aarch64": {"101", "115"}}
"""``nanosleep`` and ``clock_nanosleep``'s numbers, as ``/proc/<pid>/syscall`` shows them."""


def asleep(pid: int) -> bool | None:
    """Whether the process's main thread is in a ``nanosleep`` call; None when ``/proc``
    cannot tell (``wchan`` is "0" both when unsupported and when running)."""
    proc = Path(f"/proc/{pid}")
    wchan = _read(proc / "wchan")
    if wchan is not None and "nanosleep" in wchan:
        return True
    call = _read(proc / "syscall")
    numbers = NANOSLEEP_CALLS.get(platform.machine())
    if call is not None and numbers is not None:
        return call.split(" ", 1)[0] in numbers
    if wchan not in (None, "", "0"):
        return False
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def stop_wrk(process: subprocess.Popen[str]) -> None:
    """SIGINT wrk, again every half second while it runs (see ``wait_until_asleep``)."""
    while process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=WRK_RESTOP_S)
        except subprocess.TimeoutExpired:
            continue


WRK_TICK_S = 0.1
"""wrk checks for a stop every 100 ms (``RECORD_INTERVAL_MS`` in its source)."""
WRK_SPARE_S = 5.0
"""How much longer than the window wrk's own ``-d`` is: the harness stops it first."""
WRK_RESTOP_S = 0.5
"""How long a stopped wrk gets to end before it is signalled again: five of its ticks."""
WRK_ATTEMPTS = 3
"""Runs one measured window gets when wrk overruns it (``WrkOverrun``) before the benchmark
stops: on a loaded machine the signal can still lose its race with wrk's sleep now and then."""
WRK_OVERRUN_S = 3 * WRK_TICK_S
"""How far past its window (rounded up to wrk's ticks) a run may end: a loaded machine can
delay wrk's tick and its exit by a tick or two, never by seconds."""


def whole_ticks(seconds: float) -> float:
    """``seconds`` rounded up to wrk's 100 ms ticks: when its threads can stop."""
    return math.ceil(round(seconds / WRK_TICK_S, 6)) * WRK_TICK_S


def whole_seconds(seconds: float) -> int:
    """wrk's duration arguments are whole seconds: round up, at least 1."""
    return max(1, math.ceil(seconds))


def wrk_command(
    base_url: str, script: Path, concurrency: int, duration_s: float, timeout_s: float
) -> list[str]:
    """``wrk`` with one thread (one CPU) and ``concurrency`` connections."""
    return [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{whole_seconds(duration_s)}s",
        "--latency",
        "--timeout",
        f"{whole_seconds(timeout_s)}s",
        "-s",
        str(script),
        base_url,
    ]


def lua_string(value: str | bytes) -> str:
    """A Lua string literal: printable ASCII as is, everything else as a ``\\ddd`` escape."""
    data = value.encode() if isinstance(value, str) else value
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and byte not in b'"\\' else f"\\{byte:03d}" for byte in data
    )
    return f'"{escaped}"'


LUA_TEMPLATE = """\
-- Generated by benchmarks/wrk.py: the request mix from path number {start} on, a count of
-- responses whose status is not {expected}, and a JSON summary for the harness.
local method = {method}
local paths = {{{paths}}}
local body = {body}
local headers = {headers}
local expected = {expected}
local start = {start}
local requests = {{}}
local threads = {{}}
-- globals, so that done() can read them from each thread with thread:get()
sent = 0
unexpected = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, path in ipairs(paths) do
    requests[i] = wrk.format(method, path, headers, body)
  end
end

function request()
  sent = sent + 1
  return requests[(start + sent - 1) % #requests + 1]
end

function response(status, headers, body)
  if status ~= expected then
    unexpected[status] = (unexpected[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local total_sent, counts, fields = 0, {{}}, {{}}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, count in pairs(thread:get("unexpected")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do
    fields[#fields + 1] = string.format('"%d":%d', status, count)
  end
  io.write(string.format(
    '{marker}{{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,' ..
    '"sent":%d,"expected":%d,"unexpected":{{%s}}}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    total_sent, expected, table.concat(fields, ",")))
end
"""


def lua_script(mix: RequestMix, start: int = 0) -> str:
    """A wrk script sending ``mix``: the paths in turn from the ``start``-th on, each request
    formatted once, counting responses whose status is not ``mix.expected_status``."""
    has_body = mix.body is not None
    headers = f"{{[{lua_string('Content-Type')}] = {lua_string(mix.content_type)}}}"
    return LUA_TEMPLATE.format(
        method=lua_string(mix.method),
        paths=", ".join(lua_string(path) for path in mix.paths),
        body=lua_string(mix.body) if mix.body is not None else "nil",
        headers=headers if has_body else "{}",
        expected=int(mix.expected_status),
        start=int(start),
        marker=WRK_MARKER,
    )


def wrk_summary(stdout: str) -> dict[str, Any]:
    """The JSON line the script's ``done()`` printed."""
    line = next((line for line in stdout.splitlines() if line.startswith(WRK_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no {WRK_MARKER.strip()} line:\n{stdout}")
    summary: dict[str, Any] = json.loads(line.removeprefix(WRK_MARKER))
    return summary


def parse_wrk_output(stdout: str, concurrency: int) -> LoadStats:
    """The stats from the JSON line the script's ``done()`` printed (latencies in µs).

    wrk's own ``status`` count (responses ≥ 400) is not used: the script counts every status
    other than the expected one, as the builtin generator does; ``errors`` are wrk's socket
    errors (connect, read, write), requests that got no response.
    """
    summary = wrk_summary(stdout)
    duration_s = summary["duration_us"] / 1e6
    requests = int(summary["requests"])
    unexpected = {str(int(k)): int(v) for k, v in summary["unexpected"].items()}
    return LoadStats(
        generator="wrk",
        concurrency=concurrency,
        requests=requests,
        duration_s=duration_s,
        requests_per_s=requests / duration_s if duration_s else 0.0,
        latency_ms={name: summary[f"{name}_us"] / 1000 for name in ["p50", "p90", "p99", "max"]},
        errors=sum(int(summary[kind]) for kind in ["connect", "read", "write"]),
        timeouts=int(summary["timeout"]),
        expected_status=int(summary["expected"]),
        unexpected_statuses=dict(sorted(unexpected.items(), key=lambda item: int(item[0]))),
    )
