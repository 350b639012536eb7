"""Schema drift: does the database hold exactly the tables and columns the code defines?

Adding a column to ``todo_contract/table.py`` without writing a migration used to start fine
and then answer every request ``503 Database unavailable`` (only the log said ``no such
column``). After migrating, each app compares the database with the table definitions
(Alembic's ``compare_metadata``) and refuses to start, naming each difference and the command
that writes the missing migration.

Column types are not compared: a database adopted from the tutorial keeps the tutorial's
``TEXT`` title and ``INTEGER`` id, which serve the same values; what breaks queries is a table,
column or NOT NULL that one side has and the other lacks.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, Table


def differences(connection: Connection, metadata: MetaData) -> list[str]:
    """Each way the database differs from ``metadata``, in words; empty when they match."""
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    found: list[str] = []
    for diff in compare_metadata(context, metadata):
        # Changes to one column come as a list of ("modify_…", …) tuples.
        for change in diff if isinstance(diff, list) else [diff]:
            found.append(describe(change))
    return found


def describe(change: tuple[Any, ...]) -> str:
    """One difference from ``compare_metadata`` as a sentence."""
    kind = change[0]
    if kind in ("add_table", "remove_table"):
        table: Table = change[1]
        where = "defined in the code but missing from the database"
        if kind == "remove_table":
            where = "in the database but not in the code"
        return f"table {table.name} is {where}"
    if kind in ("add_column", "remove_column"):
        column: Column[Any] = change[3]
        if kind == "add_column":
            return (
                f"column {change[2]}.{column.name} ({column.type}) is defined in the code but "
                "missing from the database"
            )
        return f"column {change[2]}.{column.name} is in the database but not in the code"
    if kind == "modify_nullable":
        _, _, table_name, column_name, _, in_database, in_code = change
        return (
            f"column {table_name}.{column_name} is "
            f"{'NULL' if in_database else 'NOT NULL'} in the database but "
            f"{'NULL' if in_code else 'NOT NULL'} in the code"
        )
    return f"{kind.replace('_', ' ')}: {' '.join(str(part) for part in change[1:] if part)}"
