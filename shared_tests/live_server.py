"""Start a variant's real server (``python -m orm_app``, ``python -m core_app``, …)."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from shared_tests.zygote import ZYGOTE
from todo_contract.variants import variant

STARTUP_TIMEOUT_S = 30.0
POLL_S = 0.02
"""Between two tries at /health while a server starts: a refused connection costs little, and
the suite starts a few hundred servers (at 0.1 s each waited 50 ms more on average)."""
TLS_CONTEXT = ssl.create_default_context()
"""The TLS context every test client shares (``verify=TLS_CONTEXT``).

The servers speak plain HTTP, but an httpx client builds a TLS context when it is made and
loads certifi's CA bundle into it: 25-50 ms a client on these machines, 6-13 s of a test that
opens 256 clients. httpx takes a ready context instead (its SSL guide)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def with_free_port(args: Sequence[str]) -> list[str]:
    """``args`` with a free ``--port`` unless they name one, so that another server on the
    default port (another test's, or a developer's) can never be why a start was refused."""
    return list(args) if "--port" in args else ["--port", str(free_port()), *args]


class ServerProcess(Protocol):
    """What the tests do with a server's process: a ``subprocess.Popen`` or a
    ``shared_tests.zygote.ForkedServer``."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, sig: int) -> None: ...
    def kill(self) -> None: ...


@dataclass
class LiveServer:
    """A running server: its base URL, process and combined output file."""

    base_url: str
    process: ServerProcess
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def live_server(
    app_kind: str,
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    forked: bool = True,
) -> Iterator[LiveServer]:
    """Run ``python -m <app> --port P <args>`` until it answers /health, then stop it.

    The server is forked from this worker's zygote (``shared_tests.zygote``: the same
    process, without its half-second of imports), or with ``forked=False`` started from
    scratch. Stopping sends SIGINT (what Ctrl-C does) and waits, so the server shuts down
    cleanly.
    """
    port = free_port()
    log_path = cwd / f"server-{app_kind}-{port}.log"
    command = variant(app_kind).command("--port", str(port), *args)
    environment = {**os.environ, **(env or {})}
    process: ServerProcess
    if forked:
        log_path.write_bytes(b"")
        process = ZYGOTE.fork(command, cwd=cwd, env=environment, log_path=log_path)
    else:
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, env=environment
            )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(server)
        yield server
    finally:
        stop(process)


def wait_until_serving(server: LiveServer) -> None:
    """Poll /health until it answers; fail with the server's output if it exits or stalls."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=server.base_url, timeout=1.0, verify=TLS_CONTEXT) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{server.log()}")
            try:
                http.get("/health")
                return
            except httpx.TransportError:
                time.sleep(POLL_S)
    raise AssertionError(f"server did not answer within {STARTUP_TIMEOUT_S}s:\n{server.log()}")


def stop(process: ServerProcess) -> None:
    """Interrupt the server and wait for it; kill it if it does not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_to_exit(
    app_kind: str, args: Sequence[str], *, cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <app> <args>`` to completion (for --help and refusals), on a free port
    unless ``args`` name one (``with_free_port``)."""
    return subprocess.run(
        variant(app_kind).command(*with_free_port(args)),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
