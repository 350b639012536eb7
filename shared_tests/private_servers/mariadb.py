"""A private MariaDB server: ``mariadb-install-db`` and ``mariadbd`` with no system config."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from shared_tests.private_servers.base import READY_TIMEOUT_S, PrivateServer, run_logged

SBIN = Path("/usr/sbin")
SMALL_INNODB = ("--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M")
"""A test server needs little memory, and a 96 MB redo log (the default) is disk churn."""


def mariadb_binary(name: str, *other_dirs: Path) -> str:
    """``mariadb-install-db`` or ``mariadbd``: on PATH, else in /usr/sbin."""
    found = shutil.which(name) or next(
        (str(d / name) for d in other_dirs if (d / name).exists()), None
    )
    if found is None:
        pytest.fail(
            f"{name} not found: the server outage tests start a private MariaDB server; "
            "install the Debian package mariadb-server (apt-get install mariadb-server), "
            "which provides mariadb-install-db and mariadbd",
            pytrace=False,
        )
    return found


class PrivateMariaDB(PrivateServer):
    """``mariadb-install-db`` + ``mariadbd`` with ``--no-defaults``.

    ``--no-defaults`` keeps the system ``/etc/mysql`` configuration (its datadir, port and
    socket are the shared server's) out of both. ``root`` gets an empty password
    (``--auth-root-authentication-method=normal``) so the tests log in over TCP as on the
    shared server.
    """

    backend = "mariadb"

    def __init__(self) -> None:
        self.install_db = mariadb_binary("mariadb-install-db")
        self.mariadbd = mariadb_binary("mariadbd", SBIN)
        super().__init__()
        self.data = self.root / "data"
        self.user = getpass.getuser()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/mysql"

    def initialize(self) -> None:
        status = run_logged(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={self.data}",
                f"--user={self.user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *SMALL_INNODB,
            ],
            self.root / "setup.log",
        )
        if status != 0:
            self._fail(f"mariadb-install-db exited with {status}")

    def start(self) -> None:
        command = [
            self.mariadbd,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.root / 'mariadb.sock'}",
            f"--pid-file={self.root / 'mariadb.pid'}",
            f"--log-error={self.root / 'server.log'}",
            f"--user={self.user}",
            "--skip-name-resolve",
            *SMALL_INNODB,
        ]
        with (self.root / "setup.log").open("ab") as log_file:
            # A session of its own: Ctrl-C on the test run must not reach the server before
            # the teardown does.
            self.process = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        # A read timeout too: whatever holds the port may accept the connection and never
        # greet, and PyMySQL reads without a timeout by default.
        engine = create_engine(
            self.admin_url, connect_args={"connect_timeout": 2, "read_timeout": 2}
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    self._fail(f"mariadbd exited with {self.process.returncode} on start")
                try:
                    with engine.connect() as connection:
                        connection.execute(text("SELECT 1"))
                    return
                except OperationalError:
                    time.sleep(0.1)
        finally:
            engine.dispose()
        self.kill()
        self._fail(f"mariadbd did not accept connections within {READY_TIMEOUT_S}s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: mariadbd's normal shutdown
        try:
            process.wait(timeout=READY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            self._fail(f"mariadbd did not shut down within {READY_TIMEOUT_S}s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pid(self) -> int | None:
        return self.process.pid if self.is_running() and self.process is not None else None

    def log(self) -> str:
        return self._read("setup.log", "server.log")
