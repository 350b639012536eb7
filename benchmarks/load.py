"""Load generators: drive a served app over real HTTP and summarize what came back.

Two generators implement one interface, :func:`run_load`, and this module holds what they
share: the request mix they send (:class:`RequestMix`), the summary they return
(:class:`LoadStats`) and its record in the report, and the choice between them.

* ``wrk`` (``benchmarks.wrk``, when on PATH): a C load generator, so the generator itself is
  never the bottleneck. A generated Lua script sends the same request mix and prints its
  summary as one JSON line.
* ``builtin`` (``benchmarks.builtin_load``): a hand-written HTTP/1.1 client on asyncio, run in
  a separate process (so it shares neither the harness's GIL nor, when pinned, its CPU). It
  needs nothing installed, and it counts every request it sends, which lets tests check a
  POST run exactly.

Both run closed loops: each of ``concurrency`` keep-alive connections sends one request and
waits for its response before sending the next. A warm-up (not recorded) comes first.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.results import LoadRun

GENERATORS = ("wrk", "builtin")
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0}
SUBPROCESS_SLACK_S = 60.0  # on top of the run's own length, before the parent gives up


# --- the request mix -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMix:
    """What to send: one method and body, to paths taken in turn.

    The connections take the paths in turn, together (``builtin_load.drive``, and wrk's
    script): every path is sent once before any is sent again, so the connections do not all
    ask for the same row at once and a DELETE mix never deletes an id twice. ``request(w, n)``
    gives the ``(w + n)``-th path.
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
    # Imported here, not at the top: both generators import this module's RequestMix and
    # LoadStats, so importing them first would be circular.
    from benchmarks.builtin_load import run_builtin
    from benchmarks.wrk import run_wrk

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


if __name__ == "__main__":
    # ``python -m benchmarks.load`` started the built-in generator's child process before
    # that generator had a module of its own (``benchmarks.builtin_load``); it still does.
    from benchmarks.builtin_load import main

    raise SystemExit(main())
