"""Throwaway databases on a PostgreSQL or MariaDB server, for the test suite and the benchmark.

Both create a database of their own for every run (or test) and drop it afterwards, so
nothing they do touches a database somebody else uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the PostgreSQL or MariaDB server behind ``admin_url``,
    yield its URL, and drop it afterwards (even if connections to it are still open)."""
    postgresql = make_url(admin_url).get_backend_name() == "postgresql"
    quoted = f'"{name}"' if postgresql else f"`{name}`"
    charset = "" if postgresql else " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}{charset}"))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if postgresql else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
        admin.dispose()
