"""The built-in load generator: a hand-written HTTP/1.1 client on asyncio.

:func:`run_builtin` (the parent side, in the harness) starts ``python -m
benchmarks.builtin_load`` (the child side, :func:`main`) with the run's configuration as
JSON on stdin and reads the summary back as JSON on stdout. A child of its own shares neither
the harness's GIL nor, when pinned, its CPU. The client needs nothing installed, and it
counts every request it sends, which lets tests check a POST run exactly. It speaks just
enough HTTP/1.1 for the apps under test: keep-alive, Content-Length bodies, no chunking.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from benchmarks.load import SUBPROCESS_SLACK_S, LoadStats, RequestMix, percentiles_ms
from benchmarks.servers import pin_to

RECONNECT_PAUSE_S = 0.01  # after a failed connect, so a dead server does not spin the loop


@dataclass(frozen=True)
class ChildConfig:
    """What the parent tells the child, as JSON on stdin: where to connect, what to send,
    for how long. ``requests`` is one cycle of the mix as raw HTTP/1.1 requests, encoded by
    the parent before the clock starts and carried as latin-1 text (JSON has no bytes)."""

    host: str
    port: int
    requests: list[str]
    concurrency: int
    duration_s: float
    warmup_s: float
    timeout_s: float
    expected_status: int


# --- the parent side -----------------------------------------------------------------------


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
    """Run the asyncio generator in a child process (``python -m benchmarks.builtin_load``).

    The configuration goes in as JSON on stdin, the summary comes back as JSON on stdout.
    """
    host, port = host_and_port(base_url)
    config = ChildConfig(
        host=host,
        port=port,
        requests=[raw.decode("latin-1") for raw in encoded_requests(requests, host, port)],
        concurrency=concurrency,
        duration_s=duration_s,
        warmup_s=warmup_s,
        timeout_s=timeout_s,
        expected_status=requests.expected_status,
    )
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.builtin_load"],
        input=json.dumps(asdict(config)),
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


# --- the child side (asyncio) ---------------------------------------------------------------


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

    def stats(self, concurrency: int) -> LoadStats:
        """The summary of the measured window, with the other phases' counts beside it."""
        duration = self.end - self.measure_start
        completed = len(self.latencies_s)
        return LoadStats(
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


async def generate(config: ChildConfig) -> LoadStats:
    """Open every connection, then warm up and measure with all of them at once."""
    requests = [raw.encode("latin-1") for raw in config.requests]
    concurrency = config.concurrency
    connections = [Connection(config.host, config.port) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(connection.open() for connection in connections))
        measure_start = time.perf_counter() + config.warmup_s
        recorder = Recorder(
            measure_start,
            measure_start + config.duration_s,
            expected_status=config.expected_status,
            warmup_s=config.warmup_s,
        )
        turn = itertools.count()
        await asyncio.gather(
            *(
                drive(turn, connection, requests, recorder, config.timeout_s)
                for connection in connections
            )
        )
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return recorder.stats(concurrency)


def main() -> int:
    """Child entry point: configuration as JSON on stdin, summary as JSON on stdout."""
    config = ChildConfig(**json.load(sys.stdin))
    print(json.dumps(asdict(asyncio.run(generate(config)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
