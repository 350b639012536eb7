"""``GET /health``: does the database answer, and is it still the file the app opened?

Shared by every app: it talks to the engine directly, not through any data layer; the asyncio
flavour awaits the same check on its async engine.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from todo_contract.async_database import AsyncDatabase
from todo_contract.database import Database
from todo_contract.errors import POOL_TIMEOUT, DatabaseUnavailable
from todo_contract.request_log import request_id
from todo_contract.schemas import HealthOk, HealthUnavailable

logger = logging.getLogger("todo_contract")

router = APIRouter(tags=["health"])


def database_problem(database: Database) -> str | None:
    """Why the database cannot serve, or None when a query succeeds."""
    if database.guard is not None and (problem := database.guard.problem()) is not None:
        return problem
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (DatabaseUnavailable, SQLAlchemyError) as exc:
        return check_failed(exc)
    return None


async def async_database_problem(database: AsyncDatabase) -> str | None:
    """``database_problem`` for the asyncio flavour, on its async engine."""
    if database.guard is not None and (problem := database.guard.problem()) is not None:
        return problem
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (DatabaseUnavailable, SQLAlchemyError, OSError) as exc:  # OSError: bare, async
        return check_failed(exc)
    return None


def check_failed(exc: Exception) -> str:
    """What ``/health`` says when its query raised ``exc`` (a log line when it is neither the
    guard's nor the pool's own message)."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if isinstance(exc, PoolTimeout):
        return POOL_TIMEOUT
    logger.error("health check failed: %s", type(exc).__name__)
    return "the database did not answer"


HEALTH_ROUTE: dict[str, Any] = {
    "path": "/health",
    "name": "health",
    "response_model": HealthOk,
    "responses": {status.HTTP_503_SERVICE_UNAVAILABLE: {"model": HealthUnavailable}},
}
"""The route, declared alike for both styles, so their OpenAPI documents match."""


def health_response(problem: str | None) -> HealthOk | JSONResponse:
    """200 when there is no problem, else the 503 naming it (and a log line)."""
    if problem is None:
        return HealthOk()
    logger.error("503 health check (request_id=%s): %s", request_id(), problem)
    body = HealthUnavailable(detail=problem)
    return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


@router.get(**HEALTH_ROUTE)
def health(request: Request) -> HealthOk | JSONResponse:
    """Report whether the app can reach its database."""
    return health_response(database_problem(request.app.state.database))


async_router = APIRouter(tags=["health"])


@async_router.get(**HEALTH_ROUTE)
async def async_health(request: Request) -> HealthOk | JSONResponse:
    """Report whether the app can reach its database."""
    return health_response(await async_database_problem(request.app.state.database))
