"""Layer (b): whole requests through each app in process (ASGI), against the framework floor.

Every app is started (lifespan: engine, migrations) in one event loop and called directly
with ``benchmarks.asgi_client.call``; routing, dependencies, validation, the data layer and
serialization all run, sockets and HTTP parsing do not. Apps are interleaved per repeat.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack

from fastapi import FastAPI

import core_app
import orm_app
from benchmarks import floor
from benchmarks.asgi_client import call, running
from benchmarks.counting import counting_engine
from benchmarks.database import BenchDatabase
from benchmarks.measure import Plan, Variant, run_interleaved
from benchmarks.registry import OPERATIONS
from benchmarks.results import Timing
from benchmarks.summary import timings_from_variants
from benchmarks.workloads import WORKLOADS, hot_ids, rows_to_delete

APPS: dict[str, Callable[..., FastAPI]] = {
    "floor": floor.create_app,
    "floor+dependency": functools.partial(floor.create_app, dependency=True),
    "core": core_app.create_app,
    "orm": orm_app.create_app,
}
BASELINES: dict[str, str | None] = {
    "floor": None,
    "floor+dependency": "floor",
    "core": "floor",
    "orm": "core",
}
HTTP_OPERATIONS = [name for name, operation in OPERATIONS.items() if operation.http]
EXPECTED_STATUS = {"create": 201, "delete": 204}

Request = tuple[str, str, bytes | None]


def requests_for(bench: BenchDatabase, operation: str, k: int, app: str) -> list[Request]:
    """The ``k`` HTTP requests that perform ``operation`` on ``app``."""
    method, template = OPERATIONS[operation].http or ("GET", "/")
    if "{id}" not in template:
        ids: list[int | None] = [None] * k
    elif operation == "delete" and not app.startswith("floor"):
        ids = list(rows_to_delete(bench, k))  # the floor deletes nothing: it reuses hot ids
    else:
        ids = list(hot_ids(bench, k))
    requests: list[Request] = []
    for index, todo_id in enumerate(ids):
        path = template.format(id=todo_id)
        if operation == "create":
            body = json.dumps({"title": f"created over ASGI {index}", "priority": 1}).encode()
            requests.append((method, path, body))
        elif operation == "update":
            requests.append((method, path, json.dumps({"priority": index % 7}).encode()))
        else:
            requests.append((method, path, None))
    return requests


class AsgiBench:
    """The three apps, started in one event loop on the benchmark database."""

    def __init__(self, bench: BenchDatabase, apps: Sequence[str]) -> None:
        self.bench = bench
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.apps = {name: APPS[name](bench.url) for name in apps}

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
        expected = EXPECTED_STATUS.get(operation, 200)

        def sample(k: int) -> float:
            requests = requests_for(self.bench, operation, k, app_name)
            elapsed = self.send_all(app_name, requests, expected)
            if WORKLOADS[operation].adds_rows:
                self.bench.remove_rows_after_seed()
            return elapsed

        return sample

    def queries_per_request(self, app_name: str, operation: str, k: int = 4) -> float | None:
        """Statements one request sends (None for the floor, which has no database)."""
        if app_name.startswith("floor"):
            return 0.0
        app = self.apps[app_name]
        requests = requests_for(self.bench, operation, k, app_name)
        with counting_engine(app.state.database.engine) as counter:
            self.send_all(app_name, requests, EXPECTED_STATUS.get(operation, 200))
        if WORKLOADS[operation].adds_rows:
            self.bench.remove_rows_after_seed()
        return counter.count / k


def measure_asgi_layer(
    bench: BenchDatabase,
    operations: Sequence[str],
    plan: Plan,
    *,
    apps: Sequence[str] = tuple(APPS),
    on_sample: Callable[[], None] | None = None,
) -> list[Timing]:
    """Time every app on every HTTP operation, interleaved."""
    operations = [operation for operation in operations if operation in HTTP_OPERATIONS]
    with AsgiBench(bench, apps) as asgi:
        groups = [
            [Variant((app, operation), asgi.sampler(app, operation)) for app in apps]
            for operation in operations
        ]
        ks = run_interleaved(groups, plan, seed=1, on_sample=on_sample)
        queries = {
            (app, operation): asgi.queries_per_request(app, operation)
            for app in apps
            for operation in operations
        }
    return timings_from_variants(
        [variant for group in groups for variant in group],
        layer="asgi",
        backend=bench.backend,
        ks=ks,
        queries=queries,
        baselines=BASELINES,
    )


def sample_count(operations: Sequence[str], plan: Plan, apps: int = len(APPS)) -> int:
    """How many samples ``measure_asgi_layer`` takes (for the progress bar)."""
    http = [operation for operation in operations if operation in HTTP_OPERATIONS]
    return len(http) * apps * (plan.warmups + plan.repeats)
