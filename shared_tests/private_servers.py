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

import getpass
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from shared_tests.live_server import free_port

READY_TIMEOUT_S = 60.0
POSTGRESQL_BIN_DIRS = "/usr/lib/postgresql/*/bin"
MARIADB_SBIN = Path("/usr/sbin")
SMALL_INNODB = ("--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M")
"""A test server needs little memory, and a 96 MB redo log (the default) is disk churn."""


class PrivateServer(ABC):
    """A database server this test session owns: it may be stopped and started again."""

    backend: str

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"todo-private-{self.backend}-"))
        self.port = free_port()

    @property
    @abstractmethod
    def admin_url(self) -> str:
        """A superuser URL on the server's default database."""

    @abstractmethod
    def initialize(self) -> None:
        """Create the data directory (once, before the first start)."""

    @abstractmethod
    def start(self) -> None:
        """Start the server and return once it accepts connections."""

    @abstractmethod
    def stop(self) -> None:
        """Shut the server down cleanly and return once it has exited."""

    @abstractmethod
    def is_running(self) -> bool:
        """Whether the server process is up."""

    @abstractmethod
    def kill(self) -> None:
        """Stop the server at once, with no clean shutdown (for teardown)."""

    @abstractmethod
    def pid(self) -> int | None:
        """The server's main process id while it runs."""

    @abstractmethod
    def log(self) -> str:
        """What the server and its setup tools wrote, for failure messages."""

    def restart(self) -> None:
        """Stop and start again on the same port and data."""
        self.stop()
        self.start()

    def ensure_running(self) -> None:
        """Start the server if a previous test left it stopped."""
        if not self.is_running():
            self.start()

    def destroy(self) -> None:
        """Stop the server if it runs and delete its directory."""
        try:
            if self.is_running():
                self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _read(self, *names: str) -> str:
        parts = []
        for name in names:
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')}")
        return "\n".join(parts) or "(no log written)"

    def _fail(self, what: str) -> None:
        pytest.fail(f"private {self.backend} server: {what}\n{self.log()}", pytrace=False)


def _run(command: list[str], log_path: Path) -> int:
    """Run a setup command with its output appended to ``log_path``; return its exit status."""
    with log_path.open("ab") as log_file:
        completed = subprocess.run(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=READY_TIMEOUT_S,
            check=False,
        )
    return completed.returncode


def process_exists(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while process_exists(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _postgresql_binary(name: str) -> str:
    """``initdb`` or ``pg_ctl``: on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/").glob(f"{POSTGRESQL_BIN_DIRS.lstrip('/')}/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        pytest.fail(
            f"{name} not found (on PATH or in {POSTGRESQL_BIN_DIRS}): the server outage tests "
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
        self.initdb = _postgresql_binary("initdb")
        self.pg_ctl = _postgresql_binary("pg_ctl")
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
        status = _run(
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
        status = _run(command, self.root / "setup.log")
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
        status = _run(command, self.root / "setup.log")
        if status != 0:
            self._fail(f"pg_ctl stop --mode={mode} exited with {status}")
        # pg_ctl returns once the pid file is gone; the postmaster may still be exiting.
        if pid is not None and not _wait_until_gone(pid):
            self._fail(f"the postmaster (pid {pid}) still runs after pg_ctl stop")

    def is_running(self) -> bool:
        if not self.data.exists():
            return False
        command = [*self.as_user, self.pg_ctl, "status", "--pgdata", str(self.data)]
        return _run(command, self.root / "setup.log") == 0

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def log(self) -> str:
        return self._read("setup.log", "server.log")


def _mariadb_binary(name: str, *other_dirs: Path) -> str:
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
        self.install_db = _mariadb_binary("mariadb-install-db")
        self.mariadbd = _mariadb_binary("mariadbd", MARIADB_SBIN)
        super().__init__()
        self.data = self.root / "data"
        self.user = getpass.getuser()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/mysql"

    def initialize(self) -> None:
        status = _run(
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
