"""Error responses exactly as the contract specifies them, installed on both apps.

- 404 and 405 keep FastAPI's ``{"detail": ...}`` shape; 405 lists every method the path
  supports in ``Allow`` (Starlette alone lists only one route's methods), HEAD included
  wherever GET is.
- 422 is FastAPI's standard shape, made JSON-safe: rejected input may hold NaN, Infinity or a
  lone surrogate, which a plain JSON encoder would turn into a 500.
- 412 when ``If-Match`` named an old version of the todo (see ``todo_contract.etags``).
- Any database failure is a 503 with a short ``detail`` and one server log line; the client
  never sees SQL, a stack trace or a database URL. A pool timeout (no connection came back in
  time) has a detail of its own, so it is not mistaken for a database that is down.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from todo_contract.database import DatabaseUnavailable as DatabaseUnavailable
from todo_contract.etags import TodoChanged
from todo_contract.request_log import request_id

logger = logging.getLogger("todo_contract")

DATABASE_UNAVAILABLE = "Database unavailable"
POOL_TIMEOUT = (
    "Database pool timeout: no connection came back to the pool in time "
    "(every connection is held, perhaps never returned); the database itself may be up"
)


def todo_not_found(todo_id: int) -> HTTPException:
    """The contract's 404 for a missing todo."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Todo {todo_id} not found")


def json_safe(value: Any) -> Any:
    """Replace what strict JSON cannot carry (NaN, ±Infinity, lone surrogates) by strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this request's path.

    Each method is tried against the app's routes through the public ``matches`` API, so
    routes nested in included routers count too.
    """
    served = {
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    }
    if "GET" in served:
        served.add("HEAD")  # answered by todo_contract.head wherever GET is
    return [method for method in HTTP_METHODS if method in served]


def _escaped(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # A body that is not JSON reaches validation as raw bytes, which FastAPI's encoder would
    # decode as UTF-8 and fail on (a 500); show undecodable bytes as escapes instead.
    errors = json_safe(jsonable_encoder(list(exc.errors()), custom_encoder={bytes: _escaped}))
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _todo_changed(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_412_PRECONDITION_FAILED)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "503 database unavailable on %s %s (request_id=%s): %s",
        request.method,
        request.url.path,
        request_id(),
        exc,
    )
    return JSONResponse(
        {"detail": f"{DATABASE_UNAVAILABLE}: {exc}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    # Told apart from a failing database: nothing is wrong with the server, but no pooled
    # connection was returned within the pool timeout (a leak, or requests holding them long).
    logger.error(
        "503 pool timeout on %s %s (request_id=%s): %s",
        request.method,
        request.url.path,
        request_id(),
        str(exc).splitlines()[0] if str(exc) else "",
    )
    return JSONResponse({"detail": POOL_TIMEOUT}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # The exception text may hold SQL and parameters: log it, never send it.
    logger.error(
        "503 database error on %s %s (request_id=%s): %s: %s",
        request.method,
        request.url.path,
        request_id(),
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    return JSONResponse(
        {"detail": DATABASE_UNAVAILABLE}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the contract's error responses on ``app``."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(TodoChanged, _todo_changed)
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _pool_timeout)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    # The async drivers let network errors out bare: asyncpg's ConnectionRefusedError on a
    # stopped server, its TimeoutError in the pool's ping on a frozen one. Nothing else in the
    # apps does network I/O, so an OSError that reaches them is the database's.
    app.add_exception_handler(OSError, _database_error)
