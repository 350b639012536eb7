"""The one definition of the ``todos`` table, as the latest migration leaves it.

The ORM maps its ``Todo`` class onto this table, Core's hand-written SQL reads its column types
for result processing, and a test checks that the migrations produce exactly this.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.dialects import mysql

TITLE_MAX_LENGTH = 200

metadata = MetaData()

# SQLite only makes ``INTEGER PRIMARY KEY`` an alias of the rowid, so the id is INTEGER there
# (still 64-bit) and BIGINT elsewhere. MySQL/MariaDB DATETIME drops microseconds unless told fsp=6.
IdType = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

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
