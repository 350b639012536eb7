"""The private servers the restart tests rely on: they fail loudly and leave nothing behind.

A missing binary must fail the run, naming the package to install (a skip would hide the
outage tests); a server that cannot start must show its own log; and a destroyed server
must be gone, process and files.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from shared_tests import private_servers
from shared_tests.private_servers import (
    SERVER_KINDS,
    PrivateMariaDB,
    PrivatePostgreSQL,
    mariadb,
    postgresql,
    process_exists,
)

pytestmark = pytest.mark.slow  # private database servers


def test_without_initdb_the_tests_fail_naming_the_debian_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgresql, "BIN_DIRS", "/nonexistent/*/bin")
    with pytest.raises(pytest.fail.Exception, match="initdb not found.*Debian package postgresql"):
        PrivatePostgreSQL()


def test_without_mariadb_install_db_the_tests_fail_naming_the_debian_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(mariadb, "SBIN", Path("/nonexistent"))
    with pytest.raises(
        pytest.fail.Exception, match="mariadb-install-db not found.*Debian package mariadb-server"
    ):
        PrivateMariaDB()


def test_a_server_that_cannot_start_fails_with_its_own_log(server_backend: str) -> None:
    server = SERVER_KINDS[server_backend]()
    try:
        server.initialize()
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", server.port))
            squatter.listen()
            with pytest.raises(pytest.fail.Exception, match="(?s)server.log.*already in use"):
                server.start()
    finally:
        server.destroy()


def test_a_destroyed_server_is_stopped_and_its_files_are_gone(server_backend: str) -> None:
    registry = private_servers.PrivateServers()
    try:
        server = registry.get(server_backend)
        pid = server.pid()
        assert pid is not None and process_exists(pid)
    finally:
        registry.destroy_all()
    assert not process_exists(pid), "the server process survived"
    assert not server.root.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0, "something still listens"
