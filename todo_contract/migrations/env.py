"""Alembic environment: runs on the connection that ``todo_contract.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from todo_contract.table import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "run migrations through todo_contract.migrate (python -m todo_contract upgrade …)"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
)
with context.begin_transaction():
    context.run_migrations()
