"""A private PostgreSQL server: ``initdb`` and ``pg_ctl`` on a temporary data directory."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import pytest

from shared_tests.private_servers.base import (
    READY_TIMEOUT_S,
    PrivateServer,
    run_logged,
    wait_until_gone,
)

BIN_DIRS = "/usr/lib/postgresql/*/bin"


def postgresql_binary(name: str) -> str:
    """``initdb`` or ``pg_ctl``: on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/").glob(f"{BIN_DIRS.lstrip('/')}/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        pytest.fail(
            f"{name} not found (on PATH or in {BIN_DIRS}): the server outage tests "
            "start a private PostgreSQL server; install the Debian package postgresql "
            "(apt-get install postgresql), which provides initdb and pg_ctl",
            pytrace=False,
        )
    return str(candidates[-1])


class PrivatePostgreSQL(PrivateServer):
    """``initdb`` + ``pg_ctl``, run as the ``postgres`` OS user when the tests run as root.

    initdb refuses to run as root, so the data directory belongs to ``postgres`` and both
    tools run through ``runuser``. Authentication is trust, on 127.0.0.1 only; ``fsync=off``
    spares the shared disk, since nothing here outlives the session (clean shutdowns and
    process crashes lose nothing either way; only an OS crash would).
    """

    backend = "postgresql"

    def __init__(self) -> None:
        self.initdb = postgresql_binary("initdb")
        self.pg_ctl = postgresql_binary("pg_ctl")
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "initdb refuses to run as root and there is no postgres OS user; "
                    "install the Debian package postgresql, which creates it",
                    pytrace=False,
                )
        super().__init__()
        self.data = self.root / "data"
        self.as_user: list[str] = []
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def initialize(self) -> None:
        status = run_logged(
            [
                *self.as_user,
                self.initdb,
                "--pgdata",
                str(self.data),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            self.root / "setup.log",
        )
        if status != 0:
            self._fail(f"initdb exited with {status}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=60"
        )
        command = [
            *self.as_user,
            self.pg_ctl,
            "start",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.root / "server.log"),
            "--wait",
            f"--timeout={int(READY_TIMEOUT_S)}",
            "-o",
            options,
        ]
        status = run_logged(command, self.root / "setup.log")
        if status != 0:
            self._fail(f"pg_ctl start exited with {status}")

    def stop(self) -> None:
        self._pg_ctl_stop("fast")

    def kill(self) -> None:
        self._pg_ctl_stop("immediate")

    def _pg_ctl_stop(self, mode: str) -> None:
        pid = self.pid()
        command = [
            *self.as_user,
            self.pg_ctl,
            "stop",
            "--pgdata",
            str(self.data),
            f"--mode={mode}",
            "--wait",
            f"--timeout={int(READY_TIMEOUT_S)}",
        ]
        status = run_logged(command, self.root / "setup.log")
        if status != 0:
            self._fail(f"pg_ctl stop --mode={mode} exited with {status}")
        # pg_ctl returns once the pid file is gone; the postmaster may still be exiting.
        if pid is not None and not wait_until_gone(pid):
            self._fail(f"the postmaster (pid {pid}) still runs after pg_ctl stop")

    def is_running(self) -> bool:
        if not self.data.exists():
            return False
        command = [*self.as_user, self.pg_ctl, "status", "--pgdata", str(self.data)]
        return run_logged(command, self.root / "setup.log") == 0

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def log(self) -> str:
        return self._read("setup.log", "server.log")
