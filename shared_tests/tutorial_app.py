"""Databases as the original one-file tutorial app left them, built here for the tests.

The tutorial created ``todos`` (id, title, completed, created_at) with raw SQL — no
``priority``, no ``updated_at``, no ``alembic_version`` — and its timestamps came from SQLite's
``CURRENT_TIMESTAMP`` or ``datetime.utcnow().isoformat()``. On SQLite this is done with the
standard library's ``sqlite3``, as the tutorial did; the server backends get the same table.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sqlalchemy import create_engine, make_url, text

TUTORIAL_TABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS todos ("
    " id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
    " completed BOOLEAN NOT NULL DEFAULT 0,"
    " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "postgresql": "CREATE TABLE todos ("
    " id SERIAL PRIMARY KEY, title TEXT NOT NULL,"
    " completed BOOLEAN NOT NULL DEFAULT FALSE,"
    " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "mariadb": "CREATE TABLE todos ("
    " id INTEGER AUTO_INCREMENT PRIMARY KEY, title TEXT NOT NULL,"
    " completed BOOLEAN NOT NULL DEFAULT FALSE,"
    " created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
}

# (title, completed, created_at as the tutorial stored it, the instant it means in UTC)
TUTORIAL_ROWS: list[tuple[str, bool, str, datetime]] = [
    ("Learn FastAPI", True, "2024-01-15 10:30:00", datetime(2024, 1, 15, 10, 30)),
    ("Buy milk ☕", False, "2024-01-16T08:05:09.123456", datetime(2024, 1, 16, 8, 5, 9, 123456)),
    ("Ship it", False, "2024-02-01 23:59:59.000001", datetime(2024, 2, 1, 23, 59, 59, 1)),
]


def build_tutorial_database(
    backend: str, database_url: str, *, hand_added_priority: bool = False
) -> None:
    """Create the tutorial's table with ``TUTORIAL_ROWS`` (and, for the lesson of adding a
    column without a migration, optionally a hand-added nullable ``priority``)."""
    if backend == "sqlite":
        path = make_url(database_url).database
        assert path is not None
        db = sqlite3.connect(path)
        with db:
            db.execute(TUTORIAL_TABLE["sqlite"])
            db.executemany(
                "INSERT INTO todos (title, completed, created_at) VALUES (?, ?, ?)",
                [(title, completed, stored) for title, completed, stored, _ in TUTORIAL_ROWS],
            )
            if hand_added_priority:
                db.execute("ALTER TABLE todos ADD COLUMN priority INTEGER")
        db.close()
        return
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(TUTORIAL_TABLE[backend]))
        for title, completed, _, instant in TUTORIAL_ROWS:
            connection.execute(
                text("INSERT INTO todos (title, completed, created_at) VALUES (:t, :c, :at)"),
                {"t": title, "c": completed, "at": instant},
            )
        if hand_added_priority:
            connection.execute(text("ALTER TABLE todos ADD COLUMN priority INTEGER"))
    engine.dispose()


def expected_api_rows() -> list[dict[str, object]]:
    """What ``GET /todos`` must answer after adoption."""
    return [
        {
            "id": index,
            "title": title,
            "completed": completed,
            "priority": 0,
            "tags": [],
            "created_at": instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "updated_at": instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        for index, (title, completed, _, instant) in enumerate(TUTORIAL_ROWS, start=1)
    ]
