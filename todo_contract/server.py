"""The server stack the command line serves with, plus a deadline for each request head.

The stack is what ``pip install "uvicorn[standard]"`` (and ``fastapi[standard]``) gives, the
one people deploy: uvloop as the event loop and httptools as the HTTP/1.1 parser (uvicorn's
``loop="auto"``/``http="auto"`` choose them when installed; this project depends on them).
Where they cannot be installed, uvicorn falls back to asyncio and the pure-Python h11, and
so does this module: ``server_stack()`` says which ran, for the benchmark's report.

uvicorn closes a connection that stays idle after a response (``timeout_keep_alive``) but sets
no timer on a new connection: a client that connects and sends nothing, or sends its request
head a byte at a time, keeps a socket and its buffers for as long as it likes. Here every
connection must deliver a complete request head within ``TODO_REQUEST_HEAD_TIMEOUT`` seconds
of connecting (and of the previous response); otherwise it is closed without an answer. Once
a head is in, the request runs under the app's own limits (body size, pool and queue
timeouts). The protocol classes are module-level, and read the deadline from the settings
(the environment), so that worker processes (``--workers``) can import them by name.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from todo_contract.settings import Settings

Protocol = TypeVar("Protocol", bound=asyncio.Protocol)


@functools.cache
def head_timeout() -> float:
    """The deadline for a request head in this process (``TODO_REQUEST_HEAD_TIMEOUT``)."""
    return Settings().request_head_timeout


def with_head_deadline(
    base: type[Protocol],
    name: str,
    mark: Callable[[Any], object],
    pending: Callable[[Any, object], bool],
) -> type[Protocol]:
    """``base`` (a uvicorn HTTP protocol) closing connections whose head is overdue.

    ``mark(protocol)`` notes the parser's state when the deadline is armed, and
    ``pending(protocol, mark)`` says, when it expires, whether no complete head came since.
    """

    class HeadDeadlineProtocol(base):  # type: ignore[valid-type,misc]
        head_timer: asyncio.TimerHandle | None = None
        head_mark: object = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm_head_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_head_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_deadline()
            super().connection_lost(exc)

        def _arm_head_deadline(self) -> None:
            self._disarm_head_deadline()
            if not self.transport.is_closing():
                self.head_mark = mark(self)
                self.head_timer = self.loop.call_later(head_timeout(), self._head_overdue)

        def _disarm_head_deadline(self) -> None:
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None

        def _head_overdue(self) -> None:
            self.head_timer = None
            if pending(self, self.head_mark) and not self.transport.is_closing():
                self.logger.info(
                    "closing a connection that sent no complete request head in %.1f s",
                    head_timeout(),
                )
                self.transport.close()

    HeadDeadlineProtocol.__name__ = HeadDeadlineProtocol.__qualname__ = name
    return HeadDeadlineProtocol


HeadDeadlineH11Protocol = with_head_deadline(
    H11Protocol,
    "HeadDeadlineH11Protocol",
    mark=lambda protocol: None,
    # h11 leaves IDLE only once a complete request head has been parsed.
    pending=lambda protocol, _: protocol.conn.their_state is h11.IDLE,
)

HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None
HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None

if HAS_HTTPTOOLS:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    HeadDeadlineHttpToolsProtocol = with_head_deadline(
        HttpToolsProtocol,
        "HeadDeadlineHttpToolsProtocol",
        # httptools starts a new request cycle once a complete head has been parsed.
        mark=lambda protocol: protocol.cycle,
        pending=lambda protocol, cycle: protocol.cycle is cycle,
    )


def http_protocol() -> str:
    """The protocol class uvicorn serves with, as an import string (picklable for workers):
    httptools when installed, as uvicorn's ``http="auto"`` would choose, else h11."""
    name = "HeadDeadlineHttpToolsProtocol" if HAS_HTTPTOOLS else "HeadDeadlineH11Protocol"
    return f"{__name__}:{name}"


def _named(package: str) -> str:
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:  # pragma: no cover - the stdlib's asyncio has no version
        return package


def server_stack() -> dict[str, str]:
    """The event loop and HTTP parser the apps are served with, with their versions."""
    return {
        "server": _named("uvicorn"),
        "loop": _named("uvloop") if HAS_UVLOOP else "asyncio (uvloop not installed)",
        "http": _named("httptools") if HAS_HTTPTOOLS else f"{_named('h11')} (no httptools)",
    }
