"""Reject request bodies over 65,536 bytes with 413, without reading them into memory.

A declared ``Content-Length`` over the limit is answered before the body is read. A chunked
body (no length) is counted as it streams in, and the request fails with 413 at the first
chunk that crosses the limit, so a 10 MB upload costs at most one chunk of memory.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 65_536
TOO_LARGE_DETAIL = f"Request body too large: the limit is {MAX_BODY_BYTES} bytes"


class BodySizeLimit:
    """Pure ASGI middleware enforcing ``MAX_BODY_BYTES`` on every HTTP request."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = JSONResponse({"detail": TOO_LARGE_DETAIL}, status_code=413)
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body reading; the app's
                    # exception handler turns it into the 413 response.
                    raise HTTPException(status_code=413, detail=TOO_LARGE_DETAIL)
            return message

        await self.app(scope, counting_receive, send)
