"""Retry a write whose transaction the database aborted to break a deadlock.

PostgreSQL and MariaDB may abort one of two transactions that wait on each other (a deadlock)
or, under stricter isolation, that conflict (a serialization failure). Nothing was written;
running the same unit of work again normally succeeds, so the client should not see an error
for it. Retries are few and immediate: a conflict that persists is a real problem and ends as
the usual 503. SQLite never gets here: its writers queue for the write lock (busy timeout).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError

logger = logging.getLogger("todo_contract")

MAX_ATTEMPTS = 3

# SQLSTATE serialization_failure and deadlock_detected (PostgreSQL, via psycopg)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# ER_LOCK_DEADLOCK (MariaDB/MySQL, via PyMySQL or aiomysql; asyncpg's errors carry sqlstate too)
RETRYABLE_MYSQL_ERRORS = frozenset({1213})


class Rollbackable(Protocol):
    """A Session or a Connection: what a unit of work runs in."""

    def rollback(self) -> None: ...


class AsyncRollbackable(Protocol):
    """An AsyncSession or an AsyncConnection."""

    async def rollback(self) -> None: ...


UnitT = TypeVar("UnitT", bound=Rollbackable)
AsyncUnitT = TypeVar("AsyncUnitT", bound=AsyncRollbackable)
P = ParamSpec("P")
R = TypeVar("R")


def is_conflict(exc: DBAPIError) -> bool:
    """Whether the database aborted the transaction only because another one got in the way."""
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    args: tuple[object, ...] = getattr(original, "args", ())
    return bool(args) and args[0] in RETRYABLE_MYSQL_ERRORS


def retry_conflicts(
    write: Callable[Concatenate[UnitT, P], R],
) -> Callable[Concatenate[UnitT, P], R]:
    """Run ``write(unit, ...)`` again, after a rollback, when it lost a deadlock (≤ 3 tries)."""

    @functools.wraps(write)
    def retrying(unit: UnitT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return write(unit, *args, **kwargs)
            except DBAPIError as exc:
                if not _retrying(write, exc, attempt):
                    raise
                unit.rollback()
                attempt += 1

    return retrying


def retry_conflicts_async(
    write: Callable[Concatenate[AsyncUnitT, P], Awaitable[R]],
) -> Callable[Concatenate[AsyncUnitT, P], Coroutine[Any, Any, R]]:
    """``retry_conflicts`` for the asyncio flavour: an AsyncSession or AsyncConnection."""

    @functools.wraps(write)
    async def retrying(unit: AsyncUnitT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return await write(unit, *args, **kwargs)
            except DBAPIError as exc:
                if not _retrying(write, exc, attempt):
                    raise
                await unit.rollback()
                attempt += 1

    return retrying


def _retrying(write: Callable[..., object], exc: DBAPIError, attempt: int) -> bool:
    """Whether attempt ``attempt`` of ``write``, which raised ``exc``, is followed by another
    (and then say so in the log)."""
    if attempt >= MAX_ATTEMPTS or not is_conflict(exc):
        return False
    logger.warning(
        "%s: transaction aborted by a conflict (%s), retrying (attempt %d of %d)",
        getattr(write, "__name__", "write"),
        type(exc.orig).__name__,
        attempt + 1,
        MAX_ATTEMPTS,
    )
    return True
