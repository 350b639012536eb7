"""A 10 MB body is refused with 413 after the first chunk past the limit, not read whole.

Starlette's ``TestClient`` joins a streamed body into one message before the app sees it, so
it cannot show what the app reads. These tests call the ASGI app directly, handing the body
over chunk by chunk the way a server does, and count how much of it the app asked for.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared_tests.helpers import assert_still_healthy, strict_json

MAX_BODY_BYTES = 65_536
TEN_MB = 10 * 1024 * 1024
CHUNK = 16 * 1024


class StreamedBody:
    """An ASGI ``receive`` that hands out ``total`` bytes in ``CHUNK``-sized messages."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.handed_out = 0

    async def receive(self) -> MutableMapping[str, Any]:
        if self.handed_out >= self.total:
            # Past the end of the body a server only reports the client leaving.
            await anyio.sleep(0)
            return {"type": "http.disconnect"}
        self.handed_out += CHUNK
        return {
            "type": "http.request",
            "body": b" " * CHUNK,
            "more_body": self.handed_out < self.total,
        }


def call(
    app: FastAPI, method: str, path: str, body: StreamedBody, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """Send one request straight to ``app``; return its status and body."""
    sent: list[MutableMapping[str, Any]] = []
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, body.receive, send)

    anyio.run(run)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content


def test_a_chunked_10_mb_body_is_refused_once_it_crosses_the_limit(
    app: FastAPI, app_client: TestClient, subtests: pytest.Subtests
) -> None:
    for method, path in [("POST", "/todos"), ("PUT", "/todos/1"), ("PATCH", "/todos/1")]:
        with subtests.test(method=method):
            body = StreamedBody(TEN_MB)

            status, content = call(
                app, method, path, body, headers=[(b"transfer-encoding", b"chunked")]
            )

            assert status == 413, content
            assert strict_json(content.decode())["detail"].startswith("Request body too large")
            # The app stopped at the first chunk past the limit: it never asked for the rest.
            assert MAX_BODY_BYTES < body.handed_out <= MAX_BODY_BYTES + CHUNK
    assert app_client.get("/todos/count").json()["total"] == 0
    assert_still_healthy(app_client)


def test_a_declared_10_mb_body_is_refused_before_any_of_it_is_read(
    app: FastAPI, app_client: TestClient
) -> None:
    body = StreamedBody(TEN_MB)

    status, _ = call(
        app, "POST", "/todos", body, headers=[(b"content-length", str(TEN_MB).encode())]
    )

    assert status == 413
    assert body.handed_out == 0
    assert_still_healthy(app_client)
