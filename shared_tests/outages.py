"""Make a test's database unreachable for its app, and bring it back, without harming others.

- SQLite: the file is moved aside (the app sees it vanish) and moved back (the same file).
- PostgreSQL/MariaDB: the app logs in as a role of its own; the outage locks that role out
  and ends its sessions, as a server restart would, and the end of the outage unlocks it. The
  shared servers themselves keep running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from shared_tests.backends import SERVER_URLS
from shared_tests.templates import schema_of


@dataclass
class Outage:
    """Switches one test database off and on for the app that uses ``app_url``."""

    backend: str
    app_url: str
    role: str
    admin: Engine | None

    def begin(self) -> None:
        """From now on the app cannot reach its database; its open connections are dead."""
        if self.backend == "sqlite":
            path = _sqlite_path(self.app_url)
            os.replace(path, f"{path}.aside")
            return
        assert self.admin is not None
        with self.admin.connect() as connection:
            if self.backend == "postgresql":
                connection.execute(text(f'ALTER ROLE "{self.role}" NOLOGIN'))
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE usename = :role"
                    ),
                    {"role": self.role},
                )
            else:
                connection.execute(text(f"ALTER USER '{self.role}'@'%' ACCOUNT LOCK"))
                ids = connection.execute(
                    text("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = :role"),
                    {"role": self.role},
                ).scalars()
                for process_id in ids:
                    connection.execute(text(f"KILL CONNECTION {int(process_id)}"))

    def end(self) -> None:
        """The database is back, as it was."""
        if self.backend == "sqlite":
            path = _sqlite_path(self.app_url)
            os.replace(f"{path}.aside", path)
            return
        assert self.admin is not None
        with self.admin.connect() as connection:
            if self.backend == "postgresql":
                connection.execute(text(f'ALTER ROLE "{self.role}" LOGIN'))
            else:
                connection.execute(text(f"ALTER USER '{self.role}'@'%' ACCOUNT UNLOCK"))


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database is not None
    return Path(database)


@contextmanager
def controllable_database(backend: str, database_url: str) -> Iterator[Outage]:
    """An ``Outage`` for a fresh test database; on servers, the app's role is made here."""
    if backend == "sqlite":
        yield Outage(backend, database_url, "", None)
        return
    role = f"todo_app_{uuid.uuid4().hex[:12]}"
    database = make_url(database_url).database
    admin = create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT")
    inside = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection, inside.connect() as in_database:
            if backend == "postgresql":
                connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
                # The tables exist already (the test's database is a migrated copy).
                schema = schema_of(database_url)
                for objects in ("SCHEMA", "ALL TABLES IN SCHEMA", "ALL SEQUENCES IN SCHEMA"):
                    in_database.execute(text(f'GRANT ALL ON {objects} {schema} TO "{role}"'))
            else:
                connection.execute(text(f"CREATE USER '{role}'@'%'"))
                connection.execute(text(f"GRANT ALL ON `{database}`.* TO '{role}'@'%'"))
        app_url = make_url(database_url).set(username=role, password=None)
        yield Outage(backend, app_url.render_as_string(hide_password=False), role, admin)
    finally:
        with admin.connect() as connection, inside.connect() as in_database:
            if backend == "postgresql":
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE usename = :role"
                    ),
                    {"role": role},
                )
                in_database.execute(text(f'DROP OWNED BY "{role}"'))
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            else:
                connection.execute(text(f"DROP USER IF EXISTS '{role}'@'%'"))
        inside.dispose()
        admin.dispose()
