"""Load generators: drive a served app over real HTTP and summarize what came back.

Two generators implement one interface, :func:`run_load`:

* ``wrk`` (when on PATH): a C load generator, so the generator itself is never the bottleneck.
  A generated Lua script sends the same request mix and prints its summary as one JSON line.
* ``builtin``: a hand-written HTTP/1.1 client on asyncio, run in a separate process (so it
  shares neither the harness's GIL nor, when pinned, its CPU). It needs nothing installed,
  and it counts every request it sends, which lets tests check a POST run exactly.

Both run closed loops: each of ``concurrency`` keep-alive connections sends one request and
waits for its response before sending the next. A warm-up (not recorded) comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.results import LoadRun
from benchmarks.servers import pin_to

GENERATORS = ("wrk", "builtin")
WRK_MARKER = "WRK_LOAD_JSON "
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0}
RECONNECT_PAUSE_S = 0.01  # after a failed connect, so a dead server does not spin the loop
SUBPROCESS_SLACK_S = 60.0  # on top of the run's own length, before the parent gives up


# --- the request mix -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMix:
    """What to send: one method and body, to paths taken in turn.

    The connections take the paths in turn, together (see ``drive``): every path is sent once
    before any is sent again, so the connections do not all ask for the same row at once and
    a DELETE mix never deletes an id twice. ``request(w, n)`` gives the ``(w + n)``-th path.
    A plain description rather than an arbitrary callable, so that it can be turned into
    wrk's Lua as well.
    """

    method: str
    paths: tuple[str, ...]
    body: bytes | None = None
    content_type: str = "application/json"
    expected_status: int = 200
    """The one status a response may have; any other inside the measured window is counted
    as unexpected, and a cell with any is invalid (see ``LoadStats.unexpected``)."""

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("a request mix needs at least one path")
        if any(not path.startswith("/") for path in self.paths):
            raise ValueError(f"paths must start with '/': {self.paths}")

    @classmethod
    def get(cls, paths: Sequence[str]) -> RequestMix:
        """GET each of ``paths`` in turn (e.g. ``/todos/{id}`` over the seeded ids)."""
        return cls("GET", tuple(paths))

    @classmethod
    def send_json(
        cls, method: str, paths: Sequence[str], payload: Any, expected_status: int = 200
    ) -> RequestMix:
        """``method`` (POST, PATCH…) with the same small JSON body to each of ``paths``."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(method.upper(), tuple(paths), body, expected_status=expected_status)

    def request(self, worker: int, counter: int) -> tuple[str, str, bytes | None]:
        """The (method, path, body) worker ``worker`` sends as its ``counter``-th request."""
        return self.method, self.paths[(worker + counter) % len(self.paths)], self.body


# --- results -------------------------------------------------------------------------------


@dataclass
class LoadStats:
    """What one load run measured; figures cover the measured window only.

    ``requests`` are responses (any status) that arrived inside the window;
    ``unexpected_statuses`` counts, by status, those whose status is not the mix's expected
    one (both generators apply this one rule); ``errors`` are requests that got no response
    (refused, reset or unreadable connections), ``timeouts`` requests that took longer than
    the timeout. ``duration_s`` and ``warmup_s`` are the window and warm-up that actually ran.
    ``warmup_requests`` and ``drained_requests`` (responses that arrived after the window
    closed, to requests sent inside it) are not in the figures; they are there so a caller
    can account for every request the server handled (wrk cannot drain: always 0).
    ``sent_requests`` counts every request sent in the warm-up and the window together (wrk
    stops with some in flight, which the server still serves): the divisor of the server's
    CPU per request. ``server_cpu_us_per_request`` is that CPU (user + system, the whole
    server process tree, from before the warm-up until it is idle again) divided by
    ``sent_requests``, set by the over-the-wire layer (None when not measured).
    Latencies are 0.0 when no response arrived in the window.
    """

    generator: str
    concurrency: int
    requests: int
    duration_s: float
    requests_per_s: float
    latency_ms: dict[str, float]
    errors: int
    timeouts: int
    warmup_requests: int = 0
    drained_requests: int = 0
    expected_status: int = 200
    unexpected_statuses: dict[str, int] = field(default_factory=dict)
    warmup_s: float = 0.0
    sent_requests: int = 0
    server_cpu_us_per_request: float | None = None

    @property
    def handled_requests(self) -> int:
        """Responses received in all phases: warm-up, window and drain."""
        return self.warmup_requests + self.requests + self.drained_requests

    @property
    def unexpected(self) -> int:
        """Responses in the window with a status other than the expected one."""
        return sum(self.unexpected_statuses.values())


def to_load_run(
    stats: LoadStats, *, backend: str, app: str, endpoint: str, concurrency: int
) -> LoadRun:
    """The report's record of one run (``benchmarks.results.LoadRun``)."""
    return LoadRun(
        backend=backend,
        app=app,
        endpoint=endpoint,
        concurrency=concurrency,
        generator=stats.generator,
        duration_s=stats.duration_s,
        requests=stats.requests,
        requests_per_s=stats.requests_per_s,
        latency_ms=dict(stats.latency_ms),
        errors=stats.errors,
        timeouts=stats.timeouts,
        expected_status=stats.expected_status,
        unexpected_statuses=dict(stats.unexpected_statuses),
        window_s=[stats.duration_s],
        warmup_s=stats.warmup_s,
    )


def percentiles_ms(latencies_s: list[float]) -> dict[str, float]:
    """p50, p90, p99 (nearest rank) and max, in milliseconds; zeros when there are none."""
    if not latencies_s:
        return dict.fromkeys([*PERCENTILES, "max"], 0.0)
    ordered = sorted(latencies_s)
    result = {
        name: ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)] * 1000
        for name, rank in PERCENTILES.items()
    }
    result["max"] = ordered[-1] * 1000
    return result


# --- choosing and running ------------------------------------------------------------------


def choose_generator(prefer: str = "auto") -> str:
    """``wrk`` when asked for or (``auto``) when on PATH, else ``builtin``."""
    if prefer == "auto":
        return "wrk" if shutil.which("wrk") else "builtin"
    if prefer not in GENERATORS:
        raise ValueError(f"unknown load generator {prefer!r}: choose auto, wrk or builtin")
    if prefer == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("wrk is not on PATH (apt-get install wrk), or use the builtin one")
    return prefer


def run_load(
    base_url: str,
    requests: RequestMix,
    *,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    timeout_s: float = 5.0,
    cpu: int | None = None,
    generator: str = "auto",
) -> LoadStats:
    """Warm up for ``warmup_s``, then load ``base_url`` for ``duration_s`` and summarize.

    ``cpu`` pins the generator's process to that CPU (when the machine has more than one),
    so that it does not compete with a server pinned elsewhere.
    """
    if concurrency < 1 or duration_s <= 0 or warmup_s < 0 or timeout_s <= 0:
        raise ValueError("need concurrency >= 1, duration_s > 0, warmup_s >= 0, timeout_s > 0")
    run = run_wrk if choose_generator(generator) == "wrk" else run_builtin
    return run(
        base_url,
        requests,
        concurrency=concurrency,
        duration_s=duration_s,
        warmup_s=warmup_s,
        timeout_s=timeout_s,
        cpu=cpu,
    )


# --- builtin generator: the parent side ----------------------------------------------------


def run_builtin(
    base_url: str,
    requests: RequestMix,
    *,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    timeout_s: float,
    cpu: int | None,
) -> LoadStats:
    """Run the asyncio generator in a child process (``python -m benchmarks.load``).

    The configuration goes in as JSON on stdin, the summary comes back as JSON on stdout.
    """
    host, port = host_and_port(base_url)
    config = {
        "host": host,
        "port": port,
        "requests": [raw.decode("latin-1") for raw in encoded_requests(requests, host, port)],
        "concurrency": concurrency,
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "timeout_s": timeout_s,
        "expected_status": requests.expected_status,
    }
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.load"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=warmup_s + duration_s + timeout_s + SUBPROCESS_SLACK_S,
        preexec_fn=pin_to(cpu),
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"builtin load generator failed (status {completed.returncode}):\n{completed.stderr}"
        )
    return LoadStats(**json.loads(completed.stdout))


def host_and_port(base_url: str) -> tuple[str, int]:
    """Where to connect: the builtin client speaks plain HTTP only."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the load generators need an http:// URL, got {base_url!r}")
    return parts.hostname, parts.port or 80


def encoded_requests(mix: RequestMix, host: str, port: int) -> list[bytes]:
    """One full cycle of the mix as raw HTTP/1.1 requests, encoded once, before the clock."""
    return [
        encode_request(*mix.request(0, index), mix.content_type, f"{host}:{port}")
        for index in range(len(mix.paths))
    ]


def encode_request(
    method: str, path: str, body: bytes | None, content_type: str, host: str
) -> bytes:
    """A minimal keep-alive HTTP/1.1 request; bodies are sent with a Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if body is not None:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


# --- builtin generator: the child side (asyncio) -------------------------------------------


class ProtocolError(ValueError):
    """A response this minimal client cannot read (e.g. chunked): counted as an error."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open.

    Both apps send a Content-Length, so chunked bodies are refused rather than parsed.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head[:-4].partition(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1."):
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line!r}")
    status = int(rest[:3])
    length, keep_alive = body_length_and_keep_alive(status, header_block)
    if length:
        await reader.readexactly(length)
    return status, keep_alive


def body_length_and_keep_alive(status: int, header_block: bytes) -> tuple[int, bool]:
    """The body's length from Content-Length (none for 1xx/204/304), and Connection: close."""
    length: int | None = None
    keep_alive = True
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value == b"close":
            keep_alive = False
        elif name == b"transfer-encoding":
            raise ProtocolError(f"Transfer-Encoding {value!r} is not supported")
    if length is None:
        if status < 200 or status in (204, 304):
            return 0, keep_alive
        raise ProtocolError(f"status {status} came without a Content-Length")
    return length, keep_alive


class Connection:
    """One keep-alive connection, (re)opened on demand after a failure or a close."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect (no-op when already connected)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def exchange(self, request: bytes) -> int:
        """Send ``request``, read its response, return the status."""
        await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        status, keep_alive = await read_response(self.reader)
        if not keep_alive:
            await self.close()
        return status

    async def close(self, *, abort: bool = False) -> None:
        """Close; ``abort`` drops a connection in an unknown state without a clean shutdown."""
        writer, self.reader, self.writer = self.writer, None, None
        if writer is None:
            return
        if abort:
            writer.transport.abort()
        else:
            writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@dataclass
class Recorder:
    """Sorts each outcome into warm-up, measured window or drain, by when it completed."""

    measure_start: float
    end: float
    expected_status: int = 200
    warmup_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    warmup: int = 0
    drained: int = 0
    sent: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)

    def response(self, started: float, finished: float, status: int) -> None:
        """A response arrived: count it in its phase; in the window, keep its latency and
        count it as unexpected when its status is not the expected one (as wrk's script does).
        """
        if finished < self.measure_start:
            self.warmup += 1
        elif finished > self.end:
            self.drained += 1
        else:
            self.latencies_s.append(finished - started)
            if status != self.expected_status:
                key = str(status)
                self.unexpected[key] = self.unexpected.get(key, 0) + 1

    def failure(self, finished: float, *, timed_out: bool) -> None:
        """A request got no response; only those ending inside the window are reported."""
        if self.measure_start <= finished <= self.end:
            if timed_out:
                self.timeouts += 1
            else:
                self.errors += 1

    def stats(self, concurrency: int) -> dict[str, Any]:
        """The summary, as the keyword arguments of :class:`LoadStats`."""
        duration = self.end - self.measure_start
        completed = len(self.latencies_s)
        return asdict(
            LoadStats(
                generator="builtin",
                concurrency=concurrency,
                requests=completed,
                duration_s=duration,
                requests_per_s=completed / duration,
                latency_ms=percentiles_ms(self.latencies_s),
                errors=self.errors,
                timeouts=self.timeouts,
                warmup_requests=self.warmup,
                drained_requests=self.drained,
                expected_status=self.expected_status,
                unexpected_statuses=dict(sorted(self.unexpected.items())),
                warmup_s=self.warmup_s,
                sent_requests=self.sent,
            )
        )


async def drive(
    turn: Iterator[int],
    connection: Connection,
    requests: list[bytes],
    recorder: Recorder,
    timeout_s: float,
) -> None:
    """One closed loop: send, await the response, repeat until the window closes.

    ``turn`` is shared by every connection (one event loop, so no locking): together they
    take the requests in turn, as wrk's single thread does, so a DELETE mix over fresh ids
    never sends the same id twice until the whole list has been used.
    """
    while (started := time.perf_counter()) < recorder.end:
        request = requests[next(turn) % len(requests)]
        recorder.sent += 1
        try:
            async with asyncio.timeout(timeout_s):
                status = await connection.exchange(request)
        except TimeoutError:
            recorder.failure(time.perf_counter(), timed_out=True)
            await connection.close(abort=True)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            recorder.failure(time.perf_counter(), timed_out=False)
            await connection.close(abort=True)
            await asyncio.sleep(RECONNECT_PAUSE_S)
        else:
            recorder.response(started, time.perf_counter(), status)


async def generate(config: dict[str, Any]) -> dict[str, Any]:
    """Open every connection, then warm up and measure with all of them at once."""
    requests = [raw.encode("latin-1") for raw in config["requests"]]
    concurrency: int = config["concurrency"]
    connections = [Connection(config["host"], config["port"]) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(connection.open() for connection in connections))
        measure_start = time.perf_counter() + config["warmup_s"]
        recorder = Recorder(
            measure_start,
            measure_start + config["duration_s"],
            expected_status=config["expected_status"],
            warmup_s=config["warmup_s"],
        )
        turn = itertools.count()
        await asyncio.gather(
            *(
                drive(turn, connection, requests, recorder, config["timeout_s"])
                for connection in connections
            )
        )
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return recorder.stats(concurrency)


def main() -> int:
    """Child entry point: configuration as JSON on stdin, summary as JSON on stdout."""
    config = json.load(sys.stdin)
    print(json.dumps(asyncio.run(generate(config))))
    return 0


# --- wrk -----------------------------------------------------------------------------------


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
            warmup, sent = wrk_once(base_url, script, concurrency, warmup_s, timeout_s, cpu)
        script = Path(directory) / "measured.lua"
        script.write_text(lua_script(requests, start=sent))
        measured, sent_measured = wrk_once(
            base_url, script, concurrency, duration_s, timeout_s, cpu
        )
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
) -> tuple[LoadStats, int]:
    """One wrk run of ``duration_s``, parsed, with the number of requests it sent.

    wrk's ``-d`` takes whole seconds, so a 0.2 s window would become a 1 s run. Instead wrk
    is started with a longer ``-d`` and stopped with SIGINT once ``duration_s`` has passed
    since it said "Running" (printed after it installs its SIGINT handler, which stops the
    run and still prints the summary). wrk notices the signal at its next 100 ms tick, so
    the signal goes half a tick early: a window that is a multiple of 0.1 s then ends on time.
    Its summary's duration is the window that actually ran (recorded, and requests/s are
    computed on it). ``stdbuf -oL`` makes the "Running" line arrive at once.
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
        time.sleep(max(0.0, duration_s - WRK_TICK_S / 2))
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
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
    return parse_wrk_output(head + stdout, concurrency), wrk_summary(head + stdout)["sent"]


WRK_TICK_S = 0.1
"""wrk checks for a stop every 100 ms (``RECORD_INTERVAL_MS`` in its source)."""
WRK_SPARE_S = 5.0
"""How much longer than the window wrk's own ``-d`` is: the harness stops it first."""


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
-- Generated by benchmarks/load.py: the request mix from path number {start} on, a count of
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


if __name__ == "__main__":
    raise SystemExit(main())
