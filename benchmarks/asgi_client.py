"""A minimal in-process ASGI client: calls an app directly, no sockets, no HTTP parsing.

It measures the app and nothing else: the cost of the client itself is a few microseconds of
dict building, the same for every app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import Message


@dataclass
class AsgiResponse:
    """What the app sent back."""

    status: int
    headers: dict[str, str]
    body: bytes


async def call(app: FastAPI, method: str, target: str, body: bytes | None = None) -> AsgiResponse:
    """Send one HTTP request to ``app`` and collect its response."""
    url = urlsplit(target)
    headers = [(b"host", b"bench")]
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url.path,
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body or b"", "more_body": False}

    status = 0
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.update(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return AsgiResponse(status, response_headers, b"".join(chunks))


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan (engine, migrations) around the block."""
    async with app.router.lifespan_context(app):
        yield app
