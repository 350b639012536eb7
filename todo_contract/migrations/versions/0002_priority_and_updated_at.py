"""Add priority and updated_at — the column the tutorial once added without a migration.

Old rows get priority 0 and updated_at = created_at. On SQLite the table is rebuilt (batch
mode), which also gives a tutorial-made table AUTOINCREMENT, so ids of deleted rows are never
reused, and rewrites the tutorial's timestamps (``CURRENT_TIMESTAMP`` text, ISO strings with a
``T`` or an offset) into the one format SQLAlchemy reads back. If someone already added
``priority`` by hand, it is kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _as_naive_utc(value: object) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _normalize_sqlite_timestamps(bind: sa.Connection) -> None:
    """Rewrite every created_at through SQLAlchemy's SQLite DateTime format."""
    raw = sa.table("todos", sa.column("id", sa.Integer), sa.column("created_at", sa.String))
    typed = sa.table("todos", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime))
    rows = bind.execute(sa.select(raw.c.id, raw.c.created_at)).all()
    if rows:
        bind.execute(
            typed.update().where(typed.c.id == sa.bindparam("row_id")),
            [{"row_id": row_id, "created_at": _as_naive_utc(value)} for row_id, value in rows],
        )


def upgrade() -> None:
    bind = op.get_bind()
    existing = {column["name"] for column in sa.inspect(bind).get_columns("todos")}
    on_sqlite = bind.dialect.name == "sqlite"
    if on_sqlite:
        _normalize_sqlite_timestamps(bind)
    # Rebuild only on SQLite: elsewhere ALTER TABLE keeps the id sequence as it is.
    with op.batch_alter_table(
        "todos",
        recreate="always" if on_sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch:
        if "priority" not in existing:
            batch.add_column(
                sa.Column("priority", sa.Integer(), nullable=False, server_default="0")
            )
        batch.add_column(sa.Column("updated_at", TIMESTAMP, nullable=True))
    todos = sa.table(
        "todos", sa.column("updated_at"), sa.column("created_at"), sa.column("priority")
    )
    op.execute(todos.update().values(updated_at=todos.c.created_at))
    if "priority" in existing:
        op.execute(todos.update().where(todos.c.priority.is_(None)).values(priority=0))
    with op.batch_alter_table(
        "todos", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.alter_column("updated_at", existing_type=TIMESTAMP, nullable=False)
        if "priority" in existing:
            batch.alter_column(
                "priority",
                existing_type=sa.Integer(),
                nullable=False,
                server_default="0",
            )


def downgrade() -> None:
    with op.batch_alter_table("todos", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("updated_at")
        batch.drop_column("priority")
