"""What every private server offers a test, and the process helpers they share."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)
import pytest

from shared_tests.live_server import free_port

READY_TIMEOUT_S = 60.0


class PrivateServer(ABC):
    """A database server this test session owns: it may be stopped and started again."""

    backend: str

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"todo-private-{self.backend}-"))
        self.port = free_port()
        self._frozen: list[psutil.Process] = []

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

    def freeze(self) -> None:
        """Stop the server's processes with SIGSTOP, as a hung host or a partition would.

        Unlike ``stop()`` nothing is refused: the kernel still accepts connections and
        acknowledges what clients send, but no answer ever comes. PostgreSQL serves each
        connection from a child of the postmaster, each in a process group of its own, so
        the main process is stopped first (once it is, it forks no new child) and then every
        descendant; MariaDB is one process. Always pair with ``thaw()`` (``frozen()`` does,
        in ``finally``).
        """
        pid = self.pid()
        if pid is None:
            self._fail("freeze: the server is not running")
            return
        main = psutil.Process(pid)
        main.send_signal(signal.SIGSTOP)
        self._frozen = [main]
        deadline = time.monotonic() + 5.0
        while main.status() != psutil.STATUS_STOPPED:
            if time.monotonic() > deadline:
                self._fail(f"freeze: the server (pid {pid}) did not stop on SIGSTOP")
            time.sleep(0.01)
        for child in main.children(recursive=True):
            with suppress(psutil.NoSuchProcess):
                child.send_signal(signal.SIGSTOP)
                self._frozen.append(child)

    def thaw(self) -> None:
        """Resume every process ``freeze()`` stopped (SIGCONT); harmless when none is."""
        frozen, self._frozen = self._frozen, []
        for process in frozen:
            with suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server frozen for the block, and thawed after it whatever happens."""
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def restart(self) -> None:
        """Stop and start again on the same port and data."""
        self.stop()
        self.start()

    def ensure_running(self) -> None:
        """Start the server if a previous test left it stopped (or thaw it, if frozen)."""
        self.thaw()
        if not self.is_running():
            self.start()

    def destroy(self) -> None:
        """Stop the server if it runs and delete its directory."""
        try:
            self.thaw()
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


def run_logged(command: list[str], log_path: Path) -> int:
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


def wait_until_gone(pid: int) -> bool:
    """Wait (up to READY_TIMEOUT_S) for a process to exit; False if it is still there."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while process_exists(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
