"""Layer (c): over the wire — each app under uvicorn in its own process, under load.

All servers run at once with the same settings, pinned to one CPU; the load generator runs
pinned to another, so that the two do not compete (on a one-CPU machine they must share).
Every repeat runs every (endpoint, concurrency) on every app, the apps in a fresh order,
with a warm-up before each measured window.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from benchmarks.database import BenchDatabase
from benchmarks.load import LoadStats, RequestMix, choose_generator, run_load
from benchmarks.results import LoadRun
from benchmarks.servers import Server, available_cpus, free_port, serve
from benchmarks.stats import bootstrap_median_interval, interleaved_schedule, make_ratio
from benchmarks.workloads import hot_ids, rows_to_delete

SERVER_MODULES = {"floor": "benchmarks.floor", "core": "core_app", "orm": "orm_app"}
RATIO_AGAINST = {"core": "floor", "orm": "core"}
DELETES_PER_SECOND = 5000
"""More DELETEs per second than any app here serves: each DELETE run gets fresh rows."""


@dataclass(frozen=True)
class WireConfig:
    """One endpoint at one concurrency, on some apps."""

    endpoint: str
    concurrency: int
    apps: tuple[str, ...]

    @property
    def window_factor(self) -> float:
        """How much longer than the plan's window this endpoint is measured.

        A list of 1,000 todos takes tens of milliseconds per request: a short window would
        hold a dozen requests, too few for a throughput figure worth comparing.
        """
        return 4.0 if self.endpoint == "list_1000" else 1.0


@dataclass(frozen=True)
class WirePlan:
    """How much load to apply: a profile's knobs for the over-the-wire layer."""

    configs: tuple[WireConfig, ...]
    repeats: int
    duration_s: float
    warmup_s: float
    generator: str = "auto"


@contextmanager
def servers(
    bench: BenchDatabase, apps: Sequence[str], workdir: Path, cpu: int | None
) -> Iterator[dict[str, Server]]:
    """Start every app's real server on the benchmark database."""
    with ExitStack() as stack:
        running = {}
        for app in apps:
            port = free_port()
            command = [
                sys.executable,
                "-m",
                SERVER_MODULES[app],
                "--port",
                str(port),
                "--database-url",
                bench.url,
                "--log-level",
                "warning",
            ]
            running[app] = stack.enter_context(
                serve(command, port=port, cpu=cpu, log_path=workdir / f"server-{app}.log")
            )
        yield running


def request_mix(
    bench: BenchDatabase, endpoint: str, app: str, delete_rows: int = 5000
) -> RequestMix:
    """The requests that exercise ``endpoint`` (DELETE gets ``delete_rows`` fresh rows)."""
    hot = [f"/todos/{todo_id}" for todo_id in hot_ids(bench)]
    if endpoint == "get_one":
        return RequestMix.get(hot)
    if endpoint == "list_20":
        return RequestMix.get(["/todos?limit=20"])
    if endpoint == "list_1000":
        return RequestMix.get(["/todos?limit=1000"])
    if endpoint == "list_completed":
        return RequestMix.get(["/todos?completed=true&limit=20"])
    if endpoint == "count":
        return RequestMix.get(["/todos/count"])
    if endpoint == "create":
        return RequestMix.send_json("POST", ["/todos"], {"title": "created under load"})
    if endpoint == "update":
        return RequestMix.send_json("PATCH", hot, {"priority": 3})
    if endpoint == "delete":
        if app == "floor":
            return RequestMix("DELETE", tuple(hot))
        fresh = rows_to_delete(bench, delete_rows)
        return RequestMix("DELETE", tuple(f"/todos/{todo_id}" for todo_id in fresh))
    raise ValueError(f"no HTTP endpoint for {endpoint!r}")


def measure_wire(
    bench: BenchDatabase,
    plan: WirePlan,
    workdir: Path,
    *,
    on_run: Callable[[], None] | None = None,
) -> list[LoadRun]:
    """Load every app on every configured endpoint and concurrency, interleaved."""
    cpus = available_cpus()
    server_cpu = cpus[0] if len(cpus) > 1 else None
    load_cpu = cpus[1] if len(cpus) > 1 else None
    generator = choose_generator(plan.generator)
    apps = sorted({app for config in plan.configs for app in config.apps})
    results: dict[tuple[str, str, int], list[LoadStats]] = {}
    with servers(bench, apps, workdir, server_cpu) as running:
        for repeat in range(plan.repeats):
            for config in plan.configs:
                order = interleaved_schedule(list(config.apps), plan.repeats, seed=repeat)[repeat]
                for app in order:
                    window = plan.duration_s * config.window_factor + plan.warmup_s
                    rows = int(DELETES_PER_SECOND * window) + 500
                    mix = request_mix(bench, config.endpoint, app, rows)
                    stats = run_load(
                        running[app].base_url,
                        mix,
                        concurrency=config.concurrency,
                        duration_s=plan.duration_s * config.window_factor,
                        warmup_s=plan.warmup_s,
                        cpu=load_cpu,
                        generator=generator,
                    )
                    if config.endpoint in ("create", "delete"):
                        bench.remove_rows_after_seed()
                    results.setdefault((app, config.endpoint, config.concurrency), []).append(stats)
                    if on_run is not None:
                        on_run()
    return summarize(bench.backend, results)


def summarize(backend: str, results: dict[tuple[str, str, int], list[LoadStats]]) -> list[LoadRun]:
    """One LoadRun per (app, endpoint, concurrency): medians over repeats, ratios per repeat."""
    runs = {}
    for (app, endpoint, concurrency), repeats in results.items():
        throughput = [stats.requests_per_s for stats in repeats]
        runs[(app, endpoint, concurrency)] = LoadRun(
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
            repeats=len(repeats),
            requests_per_s_samples=[round(value, 1) for value in throughput],
            requests_per_s_interval=bootstrap_median_interval(throughput),
        )
    for (app, endpoint, concurrency), run in runs.items():
        other = runs.get((RATIO_AGAINST.get(app, ""), endpoint, concurrency))
        if other is not None and all(value > 0 for value in other.requests_per_s_samples):
            run.ratios.append(
                make_ratio(app, other.app, run.requests_per_s_samples, other.requests_per_s_samples)
            )
    return list(runs.values())
