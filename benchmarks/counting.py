"""Counting the SQL statements each rung sends per operation.

SQLAlchemy rungs are counted with the engine's ``before_cursor_execute`` event; the raw rung
with a wrapper around its DB-API cursor. Transaction control (BEGIN, COMMIT, ROLLBACK) is not
counted on any rung: only the statements that do the work. Counting runs in a separate pass
from timing, so the timed code carries no instrumentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def does_work(statement: str) -> bool:
    """False for transaction control, which every rung sends alike."""
    return not statement.lstrip().upper().startswith(TRANSACTION_CONTROL)


class StatementCounter:
    """How many statements were sent while it was listening."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def record(self, statement: str) -> None:
        """Count one statement (if it does work)."""
        if does_work(statement):
            self.count += 1
            if len(self.statements) < 50:
                self.statements.append(statement)


@contextmanager
def counting_engine(engine: Engine) -> Iterator[StatementCounter]:
    """Count the statements ``engine`` (and its execution_options views) sends meanwhile."""
    counter = StatementCounter()

    def before_cursor_execute(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, executemany: bool
    ) -> None:
        counter.record(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


class CountingCursor:
    """A DB-API cursor that reports each execute/executemany to a counter."""

    def __init__(self, cursor: Any, counter: StatementCounter) -> None:
        self._cursor = cursor
        self._counter = counter

    def execute(self, statement: str, *args: Any) -> Any:
        """Count, then execute."""
        self._counter.record(statement)
        return self._cursor.execute(statement, *args)

    def executemany(self, statement: str, *args: Any) -> Any:
        """Count once (one statement, many parameter sets), then execute."""
        self._counter.record(statement)
        return self._cursor.executemany(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
