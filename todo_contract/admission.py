"""Let no more requests into the app than the connection pool can serve at once.

FastAPI runs a sync endpoint and its sync ``yield`` dependency in separate trips to its thread
pool, and a request keeps its database connection between those trips without a thread. Under
a burst of more requests than the pool has connections, every worker thread can end up inside
a dependency waiting for a connection while every connection belongs to a request waiting for a
thread: nothing moves until the pool's timeout turns them all into 503s. (The teaching app's
leaked sessions hang the same way, for good.)

Admitting at most ``pool_size + max_overflow`` requests at a time breaks that cycle: each
admitted request can always get a connection, and the others wait in the event loop, holding
nothing. A request that cannot get in within ``timeout`` seconds gets a fast 503.
"""

from __future__ import annotations

import logging

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from todo_contract.request_log import request_id

logger = logging.getLogger("todo_contract")

SERVER_BUSY = "Server busy: every database connection is in use; retry shortly"


class Admission:
    """Pure ASGI middleware: at most ``limit`` HTTP requests inside the app at once."""

    def __init__(self, app: ASGIApp, *, limit: int, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admitted = False
        with anyio.move_on_after(self.timeout):
            await self.slots.acquire()
            admitted = True
        if admitted:
            try:
                await self.app(scope, receive, send)
            finally:
                self.slots.release()
            return
        logger.error(
            "503 server busy on %s %s (request_id=%s): no free slot within %.1f s",
            scope["method"],
            scope["path"],
            request_id(),
            self.timeout,
        )
        await JSONResponse({"detail": SERVER_BUSY}, status_code=503)(scope, receive, send)
