"""Repair what the tutorial's nullable columns allowed, before a tutorial database is adopted.

The tutorial declared ``title``, ``completed`` and ``created_at`` nullable and validated
nothing, so its files can hold rows this API cannot serve: a NULL ``created_at`` crashed the
adoption, a NULL title was adopted and then made ``GET /todos`` a 500. Every such row is
repaired by these rules, each repair logged (WARNING, logger ``todo_contract``) with the row's id:

- ``title`` NULL, empty or only whitespace → ``Untitled todo {id}``;
- control characters in ``title`` → each replaced by a space, then surrounding whitespace
  stripped;
- ``title`` longer than 200 characters → its first 199 characters and ``…``;
- ``completed`` NULL → false;
- ``created_at`` NULL, or (SQLite) text that is not a timestamp → the moment of adoption.

Then the tutorial's columns become NOT NULL, as revision 0001 declares them. No row is dropped.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from todo_contract.clock import utc_now
from todo_contract.table import TITLE_MAX_LENGTH

logger = logging.getLogger("todo_contract")

TUTORIAL_COLUMNS = ("id", "title", "completed", "created_at")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def repaired_title(todo_id: int, title: str | None) -> str:
    """The title the API will serve for a tutorial row (unchanged when already valid)."""
    cleaned = _CONTROL.sub(" ", title or "").strip()
    if not cleaned:
        return f"Untitled todo {todo_id}"
    if len(cleaned) > TITLE_MAX_LENGTH:
        return cleaned[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    return cleaned


def is_timestamp(value: Any) -> bool:
    """Whether ``created_at`` holds an instant (SQLite keeps whatever text was written)."""
    if isinstance(value, datetime):
        return True
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return value is not None


def repair_rows(connection: Connection) -> int:
    """Apply the rules above to every row; return how many rows changed."""
    adopted_at = utc_now()
    repaired = 0
    rows = connection.execute(text("SELECT id, title, completed, created_at FROM todos"))
    for todo_id, title, completed, created_at in rows.all():
        changes: dict[str, Any] = {}
        if (new_title := repaired_title(todo_id, title)) != title:
            changes["title"] = new_title
        if completed is None:
            changes["completed"] = False
        if not is_timestamp(created_at):
            changes["created_at"] = (
                adopted_at.isoformat(" ") if connection.dialect.name == "sqlite" else adopted_at
            )
        if not changes:
            continue
        repaired += 1
        before = {"title": title, "completed": completed, "created_at": created_at}
        logger.warning(
            "adopting tutorial row id=%s: repaired %s",
            todo_id,
            ", ".join(f"{name} {before[name]!r} -> {value!r}" for name, value in changes.items()),
        )
        assignments = ", ".join(f"{name} = :{name}" for name in changes)
        connection.execute(
            text(f"UPDATE todos SET {assignments} WHERE id = :todo_id"),
            {**changes, "todo_id": todo_id},
        )
    return repaired


def require_values(connection: Connection) -> None:
    """Make the tutorial's columns NOT NULL (SQLite rebuilds the table to do it)."""
    nullable = [
        column
        for column in inspect(connection).get_columns("todos")
        if column["name"] in TUTORIAL_COLUMNS and column["nullable"]
    ]
    if not nullable:
        return
    operations = Operations(MigrationContext.configure(connection))
    with operations.batch_alter_table("todos", recreate="auto") as batch:
        for column in nullable:
            batch.alter_column(column["name"], existing_type=column["type"], nullable=False)


def repair_tutorial_table(connection: Connection) -> None:
    """Everything adoption needs before the database is stamped at revision 0001."""
    repaired = repair_rows(connection)
    if repaired:
        logger.warning("adopting a tutorial database: %d row(s) repaired", repaired)
    require_values(connection)
