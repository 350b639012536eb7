"""Run a plain ``def`` dependency on the event loop, for the asyncio flavour of each app.

FastAPI runs a ``def`` dependency in its thread pool: a trip to a worker thread and back for
each request. The contract's own dependencies (the list's filter, the tag page, ``If-Match``)
only parse what the request sent, so the async apps take them as ``async def`` and save the
trip; the sync apps keep them as they are. The wrapper keeps the signature FastAPI reads the
parameters from (``functools.wraps``), so both flavours declare them identically and their
OpenAPI documents match.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def on_the_event_loop(dependency: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``dependency`` as an ``async def`` (it must do no I/O: it runs on the loop)."""

    @functools.wraps(dependency)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return dependency(*args, **kwargs)

    return run
