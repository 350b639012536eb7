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
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError

logger = logging.getLogger("todo_contract")

MAX_ATTEMPTS = 3

# SQLSTATE serialization_failure and deadlock_detected (PostgreSQL, via psycopg)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# ER_LOCK_DEADLOCK (MariaDB/MySQL, via PyMySQL)
RETRYABLE_MYSQL_ERRORS = frozenset({1213})


class Rollbackable(Protocol):
    """A Session or a Connection: what a unit of work runs in."""

    def rollback(self) -> None: ...


UnitT = TypeVar("UnitT", bound=Rollbackable)
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
                if attempt >= MAX_ATTEMPTS or not is_conflict(exc):
                    raise
                unit.rollback()
                logger.warning(
                    "%s: transaction aborted by a conflict (%s), retrying (attempt %d of %d)",
                    write.__name__,
                    type(exc.orig).__name__,
                    attempt + 1,
                    MAX_ATTEMPTS,
                )
                attempt += 1

    return retrying
