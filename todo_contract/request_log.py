"""A request id on every response, and one structured log line per request.

``X-Request-ID`` ties what a client saw to what the server logged: the id a client sends is
echoed (when it is 1–200 visible ASCII characters, so it cannot smuggle a header or a log
line), otherwise a fresh one is made. While the request runs the id is in ``request_id()``,
so error handlers can name it in their own log lines.

The access line (logger ``todo_contract.access``, level INFO) is logfmt —
``method=GET path=/todos/1 status=200 duration_ms=1.9 request_id=…`` — and the same fields are
attached to the log record (``record.http``) for a JSON formatter to pick up.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"[!-~]{1,200}")
_PLAIN_VALUE = re.compile(r"[!#-<>-~]+")  # visible ASCII except '"' and '=': no quoting needed

access_logger = logging.getLogger("todo_contract.access")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def logfmt(fields: dict[str, Any]) -> str:
    """``key=value`` pairs; values with spaces, quotes or control characters JSON-quoted."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        parts.append(f"{key}={text if _PLAIN_VALUE.fullmatch(text) else json.dumps(text)}")
    return " ".join(parts)


def _incoming_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            sent: str = value.decode("latin-1")
            if _ACCEPTED_ID.fullmatch(sent):
                return sent
            break
    return uuid.uuid4().hex


class RequestLog:
    """Pure ASGI middleware: sets ``X-Request-ID`` and logs each request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current_id = _incoming_id(scope)
        token = _request_id.set(current_id)
        started = time.perf_counter()
        status_code = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, current_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                fields = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": current_id,
                }
                access_logger.info("%s", logfmt(fields), extra={"http": fields})
            _request_id.reset(token)
