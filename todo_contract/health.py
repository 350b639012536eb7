"""``GET /health``: does the database answer, and is it still the file the app opened?

Shared by both apps: it talks to the engine directly, not through either data layer.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from todo_contract.database import Database
from todo_contract.errors import POOL_TIMEOUT, DatabaseUnavailable
from todo_contract.request_log import request_id
from todo_contract.schemas import HealthOk, HealthUnavailable

logger = logging.getLogger("todo_contract")

router = APIRouter(tags=["health"])


def database_problem(database: Database) -> str | None:
    """Why the database cannot serve, or None when a query succeeds."""
    guard = database.guard
    if guard is not None and (problem := guard.problem()) is not None:
        return problem
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DatabaseUnavailable as exc:
        return str(exc)
    except PoolTimeout:
        return POOL_TIMEOUT
    except SQLAlchemyError as exc:
        logger.error("health check failed: %s", type(exc).__name__)
        return "the database did not answer"
    return None


@router.get(
    "/health",
    response_model=HealthOk,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": HealthUnavailable}},
)
def health(request: Request) -> HealthOk | JSONResponse:
    """Report whether the app can reach its database."""
    problem = database_problem(request.app.state.database)
    if problem is None:
        return HealthOk()
    logger.error("503 health check (request_id=%s): %s", request_id(), problem)
    body = HealthUnavailable(detail=problem)
    return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
