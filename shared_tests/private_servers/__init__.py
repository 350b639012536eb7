"""Private, disposable PostgreSQL and MariaDB servers that a test may stop and start at will.

The shared servers on 5432/3306 serve every test at once, so no test may stop them. A test that
needs a real server outage gets a server of its own instead: a fresh data directory in a
temporary directory, a free port, a socket in that directory and no system configuration. It
is created on first use in a test session (in each xdist worker, its own), and stopped and
deleted when the session ends, whatever happened.

The binaries must be installed: a missing one fails the test, naming the Debian package that
provides it, because a skipped outage test would hide exactly what it exists to show.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from shared_tests.private_servers.base import PrivateServer, process_exists
from shared_tests.private_servers.mariadb import PrivateMariaDB
from shared_tests.private_servers.postgresql import PrivatePostgreSQL

__all__ = [
    "SERVER_KINDS",
    "PrivateMariaDB",
    "PrivatePostgreSQL",
    "PrivateServer",
    "PrivateServers",
    "database_with_login",
    "process_exists",
]

SERVER_KINDS: dict[str, type[PrivateServer]] = {
    "postgresql": PrivatePostgreSQL,
    "mariadb": PrivateMariaDB,
}


class PrivateServers:
    """The session's private servers, each created and started on first use."""

    def __init__(self) -> None:
        self._servers: dict[str, PrivateServer] = {}

    def get(self, backend: str) -> PrivateServer:
        """The running private server for ``backend``."""
        server = self._servers.get(backend)
        if server is None:
            server = self._servers[backend] = SERVER_KINDS[backend]()
            server.initialize()
        server.ensure_running()
        return server

    def destroy_all(self) -> None:
        """Stop every server this session started and delete its files."""
        for server in self._servers.values():
            server.destroy()
        self._servers.clear()


@pytest.fixture(scope="session")
def private_servers() -> Iterator[PrivateServers]:
    """Disposable servers for this test session (each xdist worker has its own)."""
    servers = PrivateServers()
    try:
        yield servers
    finally:
        servers.destroy_all()


@pytest.fixture
def private_server(server_backend: str, private_servers: PrivateServers) -> PrivateServer:
    """The private server for ``server_backend``, running when the test starts."""
    return private_servers.get(server_backend)


def _admin_statements(server: PrivateServer, *statements: str) -> None:
    """Run statements as the superuser on a connection of their own.

    A new engine each time: a pooled connection from before a restart of the server would be
    dead.
    """
    admin = create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def database_with_login(server: PrivateServer) -> Iterator[tuple[str, str]]:
    """A new database on ``server`` and a login with a password that may use it.

    Yields the app's URL and the password, so a test can check the password never reaches a
    client or the log. Both are dropped afterwards, after starting the server again if the
    test left it stopped.
    """
    name = f"todo_{uuid.uuid4().hex[:12]}"
    password = f"pw-{uuid.uuid4().hex}"
    create: tuple[str, ...]
    if server.backend == "postgresql":
        create = (
            f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'",
            f'CREATE DATABASE "{name}" OWNER "{name}"',
        )
        drop = (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"')
    else:
        create = (
            f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'",
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            f"GRANT ALL ON `{name}`.* TO '{name}'@'%'",
        )
        drop = (f"DROP DATABASE IF EXISTS `{name}`", f"DROP USER IF EXISTS '{name}'@'%'")
    _admin_statements(server, *create)
    try:
        url = make_url(server.admin_url).set(username=name, password=password, database=name)
        yield url.render_as_string(hide_password=False), password
    finally:
        server.ensure_running()
        _admin_statements(server, *drop)
