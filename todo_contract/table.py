"""The one definition of the tables, as the latest migration leaves them.

The ORM maps its ``Todo`` and ``Tag`` classes onto these tables, Core's hand-written SQL reads
their column types for result processing, and a test checks that the migrations produce exactly
this.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql, postgresql

TITLE_MAX_LENGTH = 200
TAG_MAX_LENGTH = 32

metadata = MetaData()

# SQLite only makes ``INTEGER PRIMARY KEY`` an alias of the rowid, so the id is INTEGER there
# (still 64-bit) and BIGINT elsewhere. MySQL/MariaDB DATETIME drops microseconds unless told fsp=6.
IdType = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Tag names sort by code point on every backend ("-" < "0" < "_" < "a"), so ``ORDER BY name``
# pages /tags in the contract's order: SQLite compares bytes already; PostgreSQL's default
# locale collation would skip the punctuation and MariaDB's utf8mb4 collation would put "_"
# after the letters, so each gets a binary collation.
TagName = (
    String(TAG_MAX_LENGTH)
    .with_variant(postgresql.VARCHAR(TAG_MAX_LENGTH, collation="C"), "postgresql")
    .with_variant(
        mysql.VARCHAR(TAG_MAX_LENGTH, charset="ascii", collation="ascii_bin"), "mysql", "mariadb"
    )
)

todos = Table(
    "todos",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("title", String(TITLE_MAX_LENGTH), nullable=False),
    Column("completed", Boolean, nullable=False, server_default="0"),
    Column("created_at", Timestamp, nullable=False),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("updated_at", Timestamp, nullable=False),
    # AUTOINCREMENT keeps SQLite from reusing the id of a deleted last row.
    sqlite_autoincrement=True,
    mysql_charset="utf8mb4",
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", TagName, nullable=False),
    UniqueConstraint("name", name="uq_tags_name"),
    mysql_charset="utf8mb4",
)
"""Every tag name ever used. A tag no todo carries any more stays here, unlisted by /tags:
deleting it would race with a request attaching it at the same moment."""

todo_tags = Table(
    "todo_tags",
    metadata,
    # The primary key (todo_id, tag_id) serves "the tags of these todos"; ix_todo_tags_tag_id
    # serves "the todos carrying this tag" (GET /todos?tag=…) and the counts of GET /tags.
    Column(
        "todo_id",
        IdType,
        ForeignKey("todos.id", ondelete="CASCADE", name="fk_todo_tags_todo_id"),
        primary_key=True,
    ),
    Column(
        "tag_id",
        Integer,
        ForeignKey("tags.id", ondelete="CASCADE", name="fk_todo_tags_tag_id"),
        primary_key=True,
    ),
    Index("ix_todo_tags_tag_id", "tag_id"),
    mysql_charset="utf8mb4",
)
"""Which todo carries which tag; deleting a todo deletes its rows (``ON DELETE CASCADE``)."""
