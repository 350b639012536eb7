"""Layer (c): over the wire — each app under uvicorn in its own process, under load.

All servers run at once with the same settings, pinned to one CPU; the load generator runs
pinned to another, so that the two do not compete (on a one-CPU machine they must share).

A repeat is a *round*: every (endpoint, concurrency) on every app, the cells in a fresh
order and the apps of a cell in a fresh order, each with a warm-up before its measured
window. Rounds follow each other, so a cell's repeats are spread over the whole layer (tens
of seconds apart), and the two apps of a ratio are measured back to back in each round. The
noise of this machine drifts over tens of seconds, so rounds, not windows, are the
independent observations: ratios are summarized per round
(``benchmarks.stats.round_ratio_interval``). Each cell also records the server's CPU time
per request (``benchmarks.server_cpu``), steadier than requests/s on a shared machine.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import numpy as np

from benchmarks import server_cpu
from benchmarks.database import BenchDatabase
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    async_variants,
    baseline,
    bench_variants,
    sync_variants,
)
from benchmarks.load import LoadStats, RequestMix, choose_generator, run_load
from benchmarks.registry import OPERATIONS
from benchmarks.results import LoadRun, ServerCrash
from benchmarks.servers import (
    DYING_GRACE_S,
    Server,
    ServerDied,
    available_cpus,
    free_port,
    serve,
)
from benchmarks.stats import (
    bootstrap_median_interval,
    interleaved_schedule,
    make_round_ratio,
)
from benchmarks.summary import extra_ratios
from benchmarks.workloads import HOT_IDS
from todo_contract.settings import Settings

HEAVY_WINDOW_FACTOR = 4.0
DELETES_PER_SECOND = 5000
"""More DELETEs per second than any app here serves: each DELETE run gets fresh rows."""


@dataclass(frozen=True)
class WireConfig:
    """One endpoint at one concurrency, on every registered variant (and the floor)."""

    endpoint: str
    concurrency: int
    floor: bool = False
    """Also load the framework floor (the ladder's endpoints)."""
    workers: int = 1
    """uvicorn worker processes per server (``--workers``); more than one is compared with
    the same app's single process on the same endpoint and concurrency."""
    asynchronous: bool = False
    """Also load the async variants (and the async floor, with ``floor``)."""

    @property
    def apps(self) -> tuple[str, ...]:
        """The apps loaded: the floor when asked for, then every sync variant, then (when
        ``asynchronous``) the async floor and every async variant (read when used, so a
        variant registered after the profile was built is loaded too)."""
        apps = ((FLOOR,) if self.floor else ()) + tuple(v.name for v in sync_variants())
        if self.asynchronous:
            apps += ((FLOOR_ASYNC,) if self.floor else ()) + tuple(v.name for v in async_variants())
        return apps

    @property
    def window_factor(self) -> float:
        """How much longer than the plan's window this endpoint is measured.

        A heavy operation (a list of 1,000 todos) takes tens of milliseconds per request: a
        short window would hold a dozen requests, too few for a throughput figure worth
        comparing.
        """
        return HEAVY_WINDOW_FACTOR if OPERATIONS[self.endpoint].heavy else 1.0


@dataclass(frozen=True)
class WirePlan:
    """How much load to apply: a profile's knobs for the over-the-wire layer."""

    configs: tuple[WireConfig, ...]
    repeats: int
    duration_s: float
    warmup_s: float
    generator: str = "auto"


Key = tuple[str, str, int, int]
"""A cell: (app, endpoint, concurrency, workers)."""


def server_command(app: str, *args: str) -> list[str]:
    """The command that serves ``app``: the floor's module, or the variant's own command."""
    if app == FLOOR:
        return [sys.executable, "-m", "benchmarks.floor", *args]
    if app == FLOOR_ASYNC:
        return [sys.executable, "-m", "benchmarks.floor", "--async", *args]
    return next(v for v in bench_variants() if v.name == app).command(*args)


MAX_RESTARTS = 3
"""Server crashes one run survives: each window a crash broke is measured again on a restarted
server (and the report says so); a window that crashes its restarted server too, or one crash
more, ends the run with ``ServerDied``."""


@dataclass
class Fleet:
    """The running servers, by (app, workers), and a way to replace one that died."""

    start: Callable[[str, int, int], Server]
    """Start (app, workers) for the n-th time (0 first), on a fresh port and log."""
    running: dict[tuple[str, int], Server] = field(default_factory=dict)
    restarts: int = 0

    def __getitem__(self, key: tuple[str, int]) -> Server:
        return self.running[key]

    def restart(self, key: tuple[str, int]) -> Server:
        """Start ``key`` again in place of its dead server."""
        self.restarts += 1
        self.running[key] = self.start(*key, self.restarts)
        return self.running[key]


CONNECTIONS_KEPT_FREE = 10
"""Connections of the database server every app's pool leaves to others: the harness's own
(seeding, the DELETE runs' fresh rows) and the server's reserved superuser slots."""


def fair_pool_size(max_connections: int, pools: int, default: int) -> int:
    """The pool size every app server gets when ``pools`` pools share one database server.

    All servers run at once, so their pools together must fit in the database server's
    ``max_connections``: four apps at the default 40 want 160, PostgreSQL's default limit is
    100, and the app whose pool grew last was refused connections (503s, an invalid cell).
    Every app gets the same size, so none is favoured, and the default when they all fit.
    """
    share = (max_connections - CONNECTIONS_KEPT_FREE) // pools
    if share < 1:
        raise RuntimeError(
            f"the database server allows {max_connections} connections: too few for "
            f"{pools} app pools and {CONNECTIONS_KEPT_FREE} kept free"
        )
    return min(default, share)


def pool_environment(bench: BenchDatabase, apps: Sequence[tuple[str, int]]) -> dict[str, str]:
    """``TODO_POOL_SIZE`` for every server, when their pools would not fit in the database
    server's connections together (``fair_pool_size``); nothing on SQLite or when they fit.

    Each worker process holds a pool of its own; the floors hold none.
    """
    pools = sum(workers for app, workers in apps if app not in (FLOOR, FLOOR_ASYNC))
    if bench.backend == "sqlite" or pools == 0:
        return {}
    default = Settings().pool_size
    size = fair_pool_size(max_connections(bench), pools, default)
    return {} if size == default else {"TODO_POOL_SIZE": str(size)}


def max_connections(bench: BenchDatabase) -> int:
    """The database server's connection limit."""
    query = "SHOW max_connections" if bench.backend == "postgresql" else "SELECT @@max_connections"
    with bench.engine.connect() as connection:
        return int(connection.exec_driver_sql(query).scalar_one())


@contextmanager
def servers(
    bench: BenchDatabase, apps: Sequence[tuple[str, int]], workdir: Path, cpu: int | None
) -> Iterator[Fleet]:
    """Start every (app, workers) real server on the benchmark database.

    A single process is pinned to ``cpu``; several workers are not pinned (they would only
    take turns on one CPU), so they share the machine with the load generator. Their pools
    share the database server's connections (``pool_environment``).
    """
    environment = pool_environment(bench, apps)
    with ExitStack() as stack:

        def start(app: str, workers: int, generation: int) -> Server:
            port = free_port()
            args = ["--port", str(port), "--database-url", bench.url, "--log-level", "warning"]
            if workers > 1:
                args += ["--workers", str(workers)]
            again = f"-restart{generation}" if generation else ""
            return stack.enter_context(
                serve(
                    server_command(app, *args),
                    port=port,
                    cpu=cpu if workers == 1 else None,
                    log_path=workdir / f"server-{app}-{workers}{again}.log",
                    env=environment,
                )
            )

        fleet = Fleet(start)
        for app, workers in apps:
            fleet.running[(app, workers)] = start(app, workers, 0)
        yield fleet


def survive_one_crash(
    fleet: Fleet, key: tuple[str, int], window: Callable[[Server], LoadStats]
) -> tuple[LoadStats, ServerDied | None]:
    """Run ``window`` on ``key``'s server; if the server died, restart it and run the window
    once more. Returns the stats of the window that a live server served, and the crash
    (None when there was none).

    A crash is itself a finding, so it is returned to be reported, never hidden; the broken
    window's figures are dropped, as they measure a dying server. A second crash in the same
    window, or more than ``MAX_RESTARTS`` in the run, is not survived.
    """
    try:
        return window(fleet[key]), None
    except ServerDied as died:
        if fleet.restarts >= MAX_RESTARTS:
            raise ServerDied(
                f"{died}\nThis is server crash {MAX_RESTARTS + 1} of this run: too many to "
                "measure around.",
                died.summary,
                died.fault,
            ) from None
        crash = died
    try:
        return window(fleet.restart(key)), crash
    except ServerDied as again:
        raise ServerDied(
            f"{again}\nIt had already crashed in this window before it was restarted "
            f"({crash.summary}).",
            again.summary,
            again.fault,
        ) from None


def request_mix(
    bench: BenchDatabase, endpoint: str, app: str, delete_rows: int = 5000
) -> RequestMix:
    """The requests that exercise ``endpoint``, built from its operation's record: the hot
    todos in turn, or ``delete_rows`` fresh rows for a DELETE (hot ids for the floor)."""
    http = OPERATIONS[endpoint].http
    if http is None:
        raise ValueError(f"no HTTP endpoint for {endpoint!r}")
    count = {"none": 1, "hot": HOT_IDS, "fresh": delete_rows, "fresh_tagged": delete_rows}[http.ids]
    paths = http.paths(bench, count, has_database=app != FLOOR)
    return RequestMix(http.method, tuple(paths), http.body(0), expected_status=http.expected_status)


@dataclass(frozen=True)
class Window:
    """One measured window of one app on one cell, runnable on whichever server serves it."""

    bench: BenchDatabase
    plan: WirePlan
    config: WireConfig
    app: str
    generator: str
    load_cpu: int | None
    measure_cpu: bool

    def __call__(self, server: Server) -> LoadStats:
        """Load ``server`` for the warm-up and the window; ``ServerDied`` if it is found dead.

        The rows a window adds are removed after it, crashed or not, so every window starts
        from the seed.
        """
        config = self.config
        window_s = self.plan.duration_s * config.window_factor
        # rows for the warm-up and the window together: the two never share an id
        rows = int(DELETES_PER_SECOND * (window_s + self.plan.warmup_s)) + 500
        mix = request_mix(self.bench, config.endpoint, self.app, rows)
        cell = f"the window of {config.endpoint} at c{config.concurrency}"
        before = server_cpu.CpuReading.of(server.pid) if self.measure_cpu else None
        try:
            stats = run_load(
                server.base_url,
                mix,
                concurrency=config.concurrency,
                duration_s=window_s,
                warmup_s=self.plan.warmup_s,
                cpu=self.load_cpu,
                generator=self.generator,
            )
        except Exception:
            # A dead server explains a failed load run better than the generator can.
            server.ensure_alive(self.app, cell, grace_s=DYING_GRACE_S)
            raise
        finally:
            if OPERATIONS[config.endpoint].adds_rows:
                self.bench.remove_rows_after_seed()
        server.ensure_alive(self.app, cell, grace_s=DYING_GRACE_S if stats.errors else 0.0)
        if before is not None and stats.sent_requests > 0:
            spent = server_cpu.settled(server.pid).since(before)
            stats.server_cpu_us_per_request = spent * 1e6 / stats.sent_requests
        return stats


def measure_wire(
    bench: BenchDatabase,
    plan: WirePlan,
    workdir: Path,
    *,
    on_run: Callable[[], None] | None = None,
) -> list[LoadRun]:
    """Load every app on every configured endpoint and concurrency, interleaved."""
    cpus = available_cpus()
    pinned_cpu = cpus[0] if len(cpus) > 1 else None
    load_cpu = cpus[1] if len(cpus) > 1 else None
    generator = choose_generator(plan.generator)
    apps = sorted({(app, config.workers) for config in plan.configs for app in config.apps})
    results: dict[Key, list[LoadStats]] = {}
    measure_cpu = server_cpu.available()
    crashes: dict[Key, list[ServerCrash]] = {}
    with servers(bench, apps, workdir, pinned_cpu) as fleet:
        for repeat in range(plan.repeats):
            configs = [
                plan.configs[i]
                for i in np.random.default_rng(1000 + repeat).permutation(len(plan.configs))
            ]
            for config in configs:
                order = interleaved_schedule(list(config.apps), plan.repeats, seed=repeat)[repeat]
                for app in order:
                    key = (app, config.endpoint, config.concurrency, config.workers)
                    window = Window(bench, plan, config, app, generator, load_cpu, measure_cpu)
                    stats, crash = survive_one_crash(fleet, (app, config.workers), window)
                    if crash is not None:
                        crashes.setdefault(key, []).append(
                            ServerCrash(repeat + 1, crash.summary, crash.fault)
                        )
                    results.setdefault(key, []).append(stats)
                    if on_run is not None:
                        on_run()
    return summarize(bench.backend, results, crashes)


def summarize(
    backend: str,
    results: Mapping[Key, list[LoadStats]],
    crashes: Mapping[Key, list[ServerCrash]] | None = None,
) -> list[LoadRun]:
    """One LoadRun per (app, endpoint, concurrency): medians over repeats, ratios per round.

    Each cell's requests/s and server CPU per request are medians over its repeats; its
    ratios against another app (of requests/s, and of CPU per request when every round
    measured it on both sides) are taken round by round and summarized by
    ``round_ratio_interval``.

    A cell with any unexpected status in any measured window is invalid: its figures are
    kept (with the count) but no ratio is taken with it on either side, since a rate of 404s
    says nothing about the operation. A cell of several workers is compared with the same
    app's single process (``orm×2/orm×1``), not with another app.
    """
    ratio_against = {v.name: baseline(v, "wire") for v in bench_variants()}
    ratio_against[FLOOR_ASYNC] = FLOOR
    runs: dict[Key, LoadRun] = {}
    for (app, endpoint, concurrency, workers), repeats in results.items():
        throughput = [stats.requests_per_s for stats in repeats]
        cpu = [stats.server_cpu_us_per_request for stats in repeats]
        cpu_samples = [value for value in cpu if value is not None]
        if len(cpu_samples) != len(cpu):
            cpu_samples = []  # CPU is paired per round, or not reported
        runs[(app, endpoint, concurrency, workers)] = LoadRun(
            backend=backend,
            app=app,
            endpoint=endpoint,
            concurrency=concurrency,
            generator=repeats[0].generator,
            duration_s=sum(stats.duration_s for stats in repeats),
            requests=sum(stats.requests for stats in repeats),
            requests_per_s=round(median(throughput), 1),
            latency_ms={
                key: round(
                    max(s.latency_ms[key] for s in repeats)
                    if key == "max"
                    else median(s.latency_ms[key] for s in repeats),
                    3,
                )
                for key in ("p50", "p90", "p99", "max")
            },
            errors=sum(stats.errors for stats in repeats),
            timeouts=sum(stats.timeouts for stats in repeats),
            expected_status=repeats[0].expected_status,
            unexpected_statuses=merged_counts(stats.unexpected_statuses for stats in repeats),
            window_s=[round(stats.duration_s, 4) for stats in repeats],
            warmup_s=round(median(stats.warmup_s for stats in repeats), 4),
            repeats=len(repeats),
            workers=workers,
            requests_per_s_samples=[round(value, 1) for value in throughput],
            requests_per_s_interval=bootstrap_median_interval(throughput),
            cpu_us_per_request=round(median(cpu_samples), 1) if cpu_samples else None,
            cpu_us_per_request_samples=[round(value, 2) for value in cpu_samples],
            cpu_us_per_request_interval=(
                bootstrap_median_interval(cpu_samples) if cpu_samples else None
            ),
            server_crashes=list((crashes or {}).get((app, endpoint, concurrency, workers), [])),
        )
    for (app, endpoint, concurrency, workers), run in runs.items():
        comparisons: list[tuple[LoadRun | None, tuple[str, str]]] = []
        if workers == 1:
            # the baseline first, then the extra comparisons the timings make too (an async
            # variant against its sync twin and the async floor), where they were loaded
            for against in (ratio_against.get(app, ""), *extra_ratios(app)):
                other = runs.get((against, endpoint, concurrency, 1))
                comparisons.append((other, (app, other.app if other else "")))
        else:
            other = runs.get((app, endpoint, concurrency, 1))
            comparisons.append((other, (f"{app}×{workers}", f"{app}×1")))
        for other, names in comparisons:
            if run.invalid or other is None or other.invalid:
                continue
            pairs = answered_rounds(run.requests_per_s_samples, other.requests_per_s_samples)
            if pairs:
                run.ratios.append(make_round_ratio(*names, *pairs))
            pairs = answered_rounds(
                run.cpu_us_per_request_samples, other.cpu_us_per_request_samples
            )
            if pairs:
                run.cpu_ratios.append(make_round_ratio(*names, *pairs))
    return list(runs.values())


def answered_rounds(
    upper: Sequence[float], lower: Sequence[float]
) -> tuple[list[float], list[float]] | None:
    """The rounds in which both sides have a positive figure, as two paired lists.

    On a busy machine a window can pass with the generator or the server starved of CPU
    and no response (0 requests/s): that round measured the machine, not the app, and has no
    ratio. None when the two series do not pair or no round is left.
    """
    if len(upper) != len(lower):
        return None
    kept = [(a, b) for a, b in zip(upper, lower, strict=True) if a > 0 and b > 0]
    if not kept:
        return None
    return [a for a, _ in kept], [b for _, b in kept]


def merged_counts(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Counts by status summed over repeats, by status."""
    total: dict[str, int] = {}
    for each in counts:
        for status, count in each.items():
            total[status] = total.get(status, 0) + count
    return dict(sorted(total.items(), key=lambda item: int(item[0])))
