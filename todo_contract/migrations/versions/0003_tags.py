"""Tags on todos: a ``tags`` table of unique names and the ``todo_tags`` association table.

Existing todos keep every row and carry no tags. Deleting a todo deletes its associations
(``ON DELETE CASCADE``; the SQLite engine turns ``PRAGMA foreign_keys`` on for every
connection). Tag names get a binary collation on PostgreSQL and MariaDB so that ``ORDER BY
name`` is code point order, as the contract asks (see ``todo_contract.table``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TAG_NAME = (
    sa.String(32)
    .with_variant(postgresql.VARCHAR(32, collation="C"), "postgresql")
    .with_variant(mysql.VARCHAR(32, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")
)


def _todo_id_type(bind: sa.Connection) -> sa.types.TypeEngine[int]:
    """The type ``todos.id`` has in this database, which ``todo_tags.todo_id`` must repeat.

    This project makes it BIGINT (INTEGER on SQLite), but a table adopted from the tutorial
    keeps its 32-bit INTEGER id, and MariaDB refuses a foreign key between columns of
    different types ("Foreign key constraint is incorrectly formed")."""
    for column in sa.inspect(bind).get_columns("todos"):
        if column["name"] == "id":
            found: sa.types.TypeEngine[int] = column["type"]
            return found
    raise LookupError("table todos has no id column")


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", TAG_NAME, nullable=False),
        sa.UniqueConstraint("name", name="uq_tags_name"),
        mysql_charset="utf8mb4",
    )
    op.create_table(
        "todo_tags",
        sa.Column(
            "todo_id",
            _todo_id_type(op.get_bind()),
            sa.ForeignKey("todos.id", ondelete="CASCADE", name="fk_todo_tags_todo_id"),
            primary_key=True,
        ),
        sa.Column(
            "tag_id",
            sa.Integer(),
            sa.ForeignKey("tags.id", ondelete="CASCADE", name="fk_todo_tags_tag_id"),
            primary_key=True,
        ),
        mysql_charset="utf8mb4",
    )
    op.create_index("ix_todo_tags_tag_id", "todo_tags", ["tag_id"])


def downgrade() -> None:
    # The index goes with its table (MariaDB refuses to drop it alone: its foreign key uses it).
    op.drop_table("todo_tags")
    op.drop_table("tags")
