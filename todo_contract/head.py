"""``HEAD`` wherever ``GET`` is served: the GET response's status and headers, no body.

RFC 9110 §9.3.2 requires HEAD on every resource that answers GET. FastAPI's routes list only
the methods they are declared with, so a HEAD request would otherwise be a 405. This middleware
serves it as the GET it stands for and drops the body on the way out, keeping
``Content-Length`` (the length the GET body has, as the RFC allows). The server's own view of
the request stays HEAD: the scope is copied, not changed, and the access log records HEAD.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: answer ``HEAD`` as ``GET`` without a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
