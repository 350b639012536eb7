"""Admission control: requests beyond the pool's size wait, and a wait that lasts ends in a 503."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from todo_contract.admission import SERVER_BUSY, Admission


def gated_app(gate: asyncio.Event, inside: list[int]) -> Admission:
    """An app whose requests stay inside until ``gate`` opens, behind ``Admission(limit=2)``."""

    async def hold(_request: Request) -> PlainTextResponse:
        inside.append(1)
        await gate.wait()
        inside.pop()
        return PlainTextResponse("done")

    return Admission(Starlette(routes=[Route("/", hold)]), limit=2, timeout=0.5)


async def send_together(app: Admission, gate: asyncio.Event, inside: list[int]) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        requests = [asyncio.create_task(client.get("/")) for _ in range(3)]
        await asyncio.sleep(0.1)
        assert len(inside) == 2, "only two requests are let in"
        await asyncio.sleep(0.6)  # past the admission timeout of the third
        gate.set()
        return [response.status_code for response in await asyncio.gather(*requests)]


def test_requests_beyond_the_limit_wait_and_a_long_wait_ends_in_a_503_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> list[int]:
        gate, inside = asyncio.Event(), list[int]()
        return await send_together(gated_app(gate, inside), gate, inside)

    statuses = asyncio.run(scenario())

    assert sorted(statuses) == [200, 200, 503]
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(message.startswith("503 server busy on GET /") for message in errors), errors


def test_a_waiting_request_gets_in_when_a_slot_frees_up() -> None:
    async def scenario() -> list[int]:
        gate, inside = asyncio.Event(), list[int]()
        app = Admission(gated_app(gate, inside).app, limit=2, timeout=5.0)
        return await send_together(app, gate, inside)

    assert asyncio.run(scenario()) == [200, 200, 200]


def test_the_busy_response_says_why_in_json() -> None:
    async def scenario() -> httpx.Response:
        blocked = asyncio.Event()

        async def hold(_request: Request) -> PlainTextResponse:
            await blocked.wait()
            return PlainTextResponse("done")

        app = Admission(Starlette(routes=[Route("/", hold)]), limit=1, timeout=0.1)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.create_task(client.get("/"))
            await asyncio.sleep(0.05)
            second = await client.get("/")
            blocked.set()
            await first
            return second

    response = asyncio.run(scenario())
    assert response.status_code == 503
    assert response.json() == {"detail": SERVER_BUSY}
