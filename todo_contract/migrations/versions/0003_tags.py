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
TODO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


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
            TODO_ID,
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
    op.drop_index("ix_todo_tags_tag_id", table_name="todo_tags")
    op.drop_table("todo_tags")
    op.drop_table("tags")
