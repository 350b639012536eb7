"""The HTTP protocol the command line serves with: uvicorn's h11, plus a deadline for the head.

uvicorn closes a connection that stays idle after a response (``timeout_keep_alive``) but sets
no timer on a new connection: a client that connects and sends nothing, or sends its request
head a byte at a time, keeps a socket and its buffers for as long as it likes. Here every
connection must deliver a complete request head within ``seconds`` of connecting (and of the
previous response); otherwise it is closed without an answer. Once a head is in, the request
runs under the app's own limits (the body size limit, the pool and queue timeouts).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def head_deadline_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with a ``seconds`` deadline for each request head."""

    class HeadDeadlineProtocol(H11Protocol):
        head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
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
                self.head_timer = self.loop.call_later(seconds, self._head_overdue)

        def _disarm_head_deadline(self) -> None:
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None

        def _head_overdue(self) -> None:
            # h11 leaves IDLE only once a complete request head has been parsed.
            self.head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.logger.info(
                    "closing a connection that sent no complete request head in %.1f s", seconds
                )
                self.transport.close()

    return HeadDeadlineProtocol
