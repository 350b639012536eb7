"""Layer (b): whole requests through each app in process (ASGI), against the framework floor.

Every app is started (lifespan: engine, migrations) in one event loop and called directly
with ``benchmarks.asgi_client.call``; routing, dependencies, validation, the data layer and
serialization all run, sockets and HTTP parsing do not. Apps are interleaved per repeat.

The async apps (the async variants and the async floors) run in the same loop, interleaved
with the sync ones in the same repeats; a profile may measure them on fewer operations
(``async_operations``).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack

from fastapi import FastAPI

from benchmarks import floor
from benchmarks.asgi_client import call, running
from benchmarks.counting import counting_engine
from benchmarks.database import BenchDatabase
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    FLOOR_ASYNC_DEPENDENCY,
    FLOOR_DEPENDENCY,
    FLOORS,
    baseline,
    bench_variants,
    is_async,
)
from benchmarks.measure import Plan, Variant, run_interleaved
from benchmarks.registry import HTTP_OPERATIONS, OPERATIONS, Request
from benchmarks.results import Timing
from benchmarks.summary import timings_from_variants

FLOOR_APPS: dict[str, Callable[..., FastAPI]] = {
    FLOOR: floor.create_app,
    FLOOR_DEPENDENCY: functools.partial(floor.create_app, dependency=True),
    FLOOR_ASYNC: floor.create_async_app,
    FLOOR_ASYNC_DEPENDENCY: functools.partial(floor.create_async_app, dependency=True),
}


def app_factories() -> dict[str, Callable[..., FastAPI]]:
    """Every app of the layer: the floors (sync, then async), then each registered variant's
    ``create_app``."""
    return {**FLOOR_APPS, **{v.name: v.create_app for v in bench_variants()}}


def baselines() -> dict[str, str | None]:
    """The app each app's ratios are taken against: a variant's baseline, else the floor; the
    async floor against the sync floor, its dependency against it."""
    return {
        FLOOR: None,
        FLOOR_DEPENDENCY: FLOOR,
        FLOOR_ASYNC: FLOOR,
        FLOOR_ASYNC_DEPENDENCY: FLOOR_ASYNC,
        **{v.name: baseline(v, "asgi") for v in bench_variants()},
    }


def apps_for(
    operation: str, apps: Sequence[str], async_operations: Sequence[str] | None
) -> list[str]:
    """The apps measured on ``operation``: every sync one, the async ones only on
    ``async_operations`` (None: on every operation)."""
    return [
        app
        for app in apps
        if not is_async(app) or async_operations is None or operation in async_operations
    ]


def requests_for(bench: BenchDatabase, operation: str, k: int, app: str) -> list[Request]:
    """The ``k`` HTTP requests that perform ``operation`` on ``app`` (as its record says)."""
    http = OPERATIONS[operation].http
    if http is None:
        raise ValueError(f"no HTTP endpoint for {operation!r}")
    return http.requests(bench, k, has_database=app not in FLOORS)


def expected_status(operation: str) -> int:
    """The status every request of ``operation`` must get."""
    http = OPERATIONS[operation].http
    return 200 if http is None else http.expected_status


class AsgiBench:
    """The apps, started in one event loop on the benchmark database."""

    def __init__(self, bench: BenchDatabase, apps: Sequence[str]) -> None:
        self.bench = bench
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        factories = app_factories()
        self.apps = {name: factories[name](bench.url) for name in apps}

    def __enter__(self) -> AsgiBench:
        for app in self.apps.values():
            self.loop.run_until_complete(self.stack.enter_async_context(running(app)))
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.run_until_complete(self.stack.aclose())
        self.loop.close()

    def send_all(self, app_name: str, requests: list[Request], expected: int) -> float:
        """Send the requests one after another; return the seconds they took."""
        app = self.apps[app_name]

        async def batch() -> float:
            start = time.perf_counter()
            for method, target, body in requests:
                response = await call(app, method, target, body)
                if response.status != expected:
                    raise RuntimeError(
                        f"{app_name} answered {response.status} to {method} {target}: "
                        f"{response.body[:200]!r}"
                    )
            return time.perf_counter() - start

        return self.loop.run_until_complete(batch())

    def sampler(self, app_name: str, operation: str) -> Callable[[int], float]:
        """Take one sample of ``operation`` on ``app_name``."""
        expected = expected_status(operation)

        def sample(k: int) -> float:
            requests = requests_for(self.bench, operation, k, app_name)
            elapsed = self.send_all(app_name, requests, expected)
            if OPERATIONS[operation].adds_rows:
                self.bench.remove_rows_after_seed()
            return elapsed

        return sample

    def queries_per_request(self, app_name: str, operation: str, k: int = 4) -> float | None:
        """Statements one request sends (None for the floor, which has no database)."""
        if app_name in FLOORS:
            return 0.0
        app = self.apps[app_name]
        requests = requests_for(self.bench, operation, k, app_name)
        engine = app.state.database.engine
        # an async app's AsyncEngine runs its statements on a sync Engine inside
        with counting_engine(getattr(engine, "sync_engine", engine)) as counter:
            self.send_all(app_name, requests, expected_status(operation))
        if OPERATIONS[operation].adds_rows:
            self.bench.remove_rows_after_seed()
        return counter.count / k


def measure_asgi_layer(
    bench: BenchDatabase,
    operations: Sequence[str],
    plan: Plan,
    *,
    apps: Sequence[str] | None = None,
    async_operations: Sequence[str] | None = None,
    on_sample: Callable[[], None] | None = None,
) -> list[Timing]:
    """Time every app (default: the floors and every variant) on every HTTP operation (the
    async apps on ``async_operations`` only, when given)."""
    apps = tuple(app_factories()) if apps is None else tuple(apps)
    operations = [operation for operation in operations if operation in HTTP_OPERATIONS]
    chosen = {operation: apps_for(operation, apps, async_operations) for operation in operations}
    started = [app for app in apps if any(app in each for each in chosen.values())]
    with AsgiBench(bench, started) as asgi:
        groups = [
            [Variant((app, operation), asgi.sampler(app, operation)) for app in chosen[operation]]
            for operation in operations
        ]
        ks = run_interleaved(groups, plan, seed=1, on_sample=on_sample)
        queries = {
            (app, operation): asgi.queries_per_request(app, operation)
            for operation in operations
            for app in chosen[operation]
        }
    return timings_from_variants(
        [variant for group in groups for variant in group],
        layer="asgi",
        backend=bench.backend,
        ks=ks,
        queries=queries,
        baselines=baselines(),
    )


def sample_count(
    operations: Sequence[str], plan: Plan, async_operations: Sequence[str] | None = None
) -> int:
    """How many samples ``measure_asgi_layer`` takes (for the progress bar)."""
    apps = tuple(app_factories())
    http = [operation for operation in operations if operation in HTTP_OPERATIONS]
    pairs = sum(len(apps_for(operation, apps, async_operations)) for operation in http)
    return pairs * (plan.warmups + plan.repeats)
