"""The awaiting sampler: how the asyncio rungs are called at the data layer.

A sync rung's sample is ``k`` calls in a row, timed around the loop (``measure.timed``). An
async rung's implementations are coroutine functions; a sample of ``k`` calls is *one batch*
awaited on the benchmark database's event loop — the clock read inside the batch, before the
first call and after the last, as the in-process ASGI layer times its requests
(``benchmarks.asgi_layer.AsgiBench.send_all``). So a sample pays one trip into the loop, not
one per call, and each call pays what an ``await`` of it costs inside a running loop: what
an async endpoint pays.

Each benchmark database gets one event loop (asyncio's, as the in-process ASGI layer uses;
the servers run uvloop) and, per driver, one ``AsyncDatabase`` — the handle an async app
holds, opened by ``todo_contract.async_database.open_async_database`` on the same URL — both
closed with the database.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Engine

from benchmarks.counting import StatementCounter, counting_engine
from benchmarks.database import BenchDatabase
from benchmarks.measure import timed
from todo_contract.async_database import AsyncDatabase, open_async_database

LOOP = "event loop"


def event_loop(bench: BenchDatabase) -> asyncio.AbstractEventLoop:
    """The event loop of ``bench``'s async rungs (made on first use, closed with it)."""
    existing = bench.resources.get(LOOP)
    if isinstance(existing, asyncio.AbstractEventLoop):
        return existing
    loop = asyncio.new_event_loop()
    bench.resources[LOOP] = loop
    # closers run in reverse: registered first, the loop is closed after every async handle
    bench.closers.append(loop.close)
    return loop


def async_database(bench: BenchDatabase, driver: str | None = None) -> AsyncDatabase:
    """The async handle on ``bench``'s database (``driver``: psycopg's async mode instead of
    the backend's async driver), opened once and disposed, on the loop, with ``bench``."""
    key = f"async database {driver or 'default'}"
    existing = bench.resources.get(key)
    if isinstance(existing, AsyncDatabase):
        return existing
    loop = event_loop(bench)
    database = open_async_database(bench.url, driver=driver)
    bench.resources[key] = database
    bench.closers.append(lambda: loop.run_until_complete(database.dispose()))
    return database


def awaited(bench: BenchDatabase, function: Callable[..., Any], arguments: Sequence[Any]) -> float:
    """Seconds to await ``function(bench, argument)`` for each argument in turn, as one batch
    on ``bench``'s event loop (the clock read inside the batch)."""

    async def batch() -> float:
        start = time.perf_counter()
        for argument in arguments:
            await function(bench, argument)
        return time.perf_counter() - start

    return event_loop(bench).run_until_complete(batch())


def call_all(
    bench: BenchDatabase, function: Callable[..., Any], arguments: Sequence[Any], *, awaits: bool
) -> float:
    """Seconds to perform ``function`` on each argument: called in a row, or awaited as one
    batch when the rung ``awaits``."""
    if awaits:
        return awaited(bench, function, arguments)
    return timed(lambda argument: function(bench, argument), arguments)


def async_engine_counting(
    driver: str | None = None,
) -> Callable[[BenchDatabase], AbstractContextManager[StatementCounter]]:
    """A rung's ``counting``: the statements its async handle sends, counted on the async
    engine's sync core (where SQLAlchemy runs ``before_cursor_execute`` for async drivers too)."""

    @contextmanager
    def counting(bench: BenchDatabase) -> Iterator[StatementCounter]:
        engine: Engine = async_database(bench, driver).engine.sync_engine
        with counting_engine(engine) as counter:
            yield counter

    return counting


def perform(bench: BenchDatabase, function: Callable[..., Any], argument: Any) -> Any:
    """What one call of a rung's implementation returns: called, or (a coroutine function)
    awaited on ``bench``'s event loop. For checks of what a rung answers, not for timing."""
    if inspect.iscoroutinefunction(function):
        return event_loop(bench).run_until_complete(function(bench, argument))
    return function(bench, argument)
