"""Run an app server in its own process, optionally pinned to one CPU, for load runs.

The load layer measures the apps over the wire, so the server must be a real process: a
server sharing the harness's interpreter would share its GIL and its CPU. Pinning the server
and the load generator to different CPUs keeps them from stealing time from each other, which
is what makes figures from repeated runs comparable.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STOP_GRACE_S = 10.0
POLL_INTERVAL_S = 0.05
LOG_TAIL_LINES = 60
SERVER_ENVIRONMENT = {"PYTHONFAULTHANDLER": "1"}
"""Set for every server: a server killed by a fatal signal (a segmentation fault in a C
extension) writes the Python traceback of each of its threads to its log before it dies."""


DYING_GRACE_S = 2.0
"""How long a window whose requests failed waits for its server to finish dying: faulthandler
writes every thread's traceback first, so a server that crashed in the window's last requests
is often still running when the window ends."""


class ServerDied(RuntimeError):
    """A server exited while the benchmark was loading it.

    ``summary`` says it in one line (``orm server killed by SIGSEGV in list_todos
    (orm_app/repository.py, line 70)``) and ``fault`` gives the faulting thread's frames, for
    the report; the message has the whole story.
    """

    def __init__(self, message: str, summary: str, fault: str = "") -> None:
        super().__init__(message)
        self.summary = summary
        self.fault = fault
        """What faulthandler wrote for the thread that faulted ("" when it wrote nothing)."""


@dataclass
class Server:
    """A running server: where to reach it and the process behind it."""

    base_url: str
    pid: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace")

    def ensure_alive(self, name: str, during: str, *, grace_s: float = 0.0) -> None:
        """Raise ``ServerDied`` naming the server, how it ended and what faulthandler wrote (or
        its log's last lines) when it is no longer running; a load generator only sees refused
        connections. Checked after each window, so it names the window that found it dead;
        ``grace_s`` gives a server that may be dying (its window saw failed requests) that long
        to end, so the window it died in is the one that finds it dead."""
        try:
            code = self.process.wait(timeout=grace_s) if grace_s > 0 else self.process.poll()
        except subprocess.TimeoutExpired:
            return
        if code is None:
            return
        ended = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        log = self.log()
        fault = fault_report(log)
        if fault is not None:
            detail = f"What faulthandler wrote, for the thread that faulted:\n{fault}"
        else:
            detail = "The last lines of its log:\n" + "\n".join(log.splitlines()[-LOG_TAIL_LINES:])
        frame = faulting_frame(fault) if fault is not None else None
        raise ServerDied(
            f"the {name} server (pid {self.pid}) was found dead after {during}: {ended}.\n"
            f"(It may have died just after an earlier window, under its last requests.)\n{detail}",
            summary=f"{name} server {ended}" + (f" in {frame}" if frame else ""),
            fault=fault or "",
        )


def fault_report(log: str) -> str | None:
    """From faulthandler's output in ``log``: the error line, the frames of the thread that
    faulted and the extension modules loaded; None when faulthandler wrote nothing.

    A server has a thread per worker of its pool; the idle ones, all waiting on a queue, would
    fill any fixed tail of the log and push the one that matters out of it.
    """
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Fatal Python error:")]
    if not starts:
        return None
    dump = lines[starts[-1] :]
    kept = [dump[0]]
    in_current = False
    for line in dump[1:]:
        if line.startswith("Current thread "):
            in_current = True
        elif not line.startswith(" "):
            in_current = False
        if in_current or line.startswith("Extension modules:"):
            kept.append(line)
    return "\n".join(kept)


FRAME = re.compile(r'^  File "(?P<path>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)', re.M)
"""A frame as faulthandler writes it."""


def faulting_frame(fault: str) -> str | None:
    """The innermost Python frame of the thread that faulted, as ``function (dir/file.py,
    line N)``, from ``fault_report``'s text; None when it lists no frame."""
    match = FRAME.search(fault)
    if match is None:
        return None
    short = "/".join(Path(match["path"]).parts[-2:])
    return f"{match['function']} ({short}, line {match['line']})"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def available_cpus() -> list[int]:
    """The CPUs this process may run on, sorted: the candidates for pinning."""
    return sorted(os.sched_getaffinity(0))


def pin_to(cpu: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to ``cpu``, or None when pinning means nothing.

    On a single-CPU machine (or without a CPU) the child simply inherits the affinity:
    pinning two processes to the same lone CPU would only hide that they compete for it.
    """
    if cpu is None or len(available_cpus()) <= 1:
        return None
    target = {cpu}

    def pin() -> None:
        os.sched_setaffinity(0, target)

    return pin


@contextmanager
def serve(
    command: list[str],
    *,
    port: int,
    cpu: int | None,
    log_path: Path,
    env: dict[str, str] | None = None,
    ready_path: str = "/health",
    timeout: float = 30,
) -> Iterator[Server]:
    """Start ``command`` (a server listening on ``port``), yield it once ready, then stop it.

    Stopping sends SIGINT, what Ctrl-C does, so uvicorn shuts down gracefully and the
    database is left consistent; a server that ignores it is killed after a grace period.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **SERVER_ENVIRONMENT, **(env or {})},
            preexec_fn=pin_to(cpu),
        )
    server = Server(f"http://127.0.0.1:{port}", process.pid, process, log_path)
    try:
        wait_until_ready(server, port, ready_path, timeout)
        yield server
    finally:
        stop(process)


def wait_until_ready(server: Server, port: int, ready_path: str, timeout: float) -> None:
    """Poll ``ready_path`` until it answers 200; fail with the server's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            code = server.process.returncode
            raise RuntimeError(f"server exited early (status {code}):\n{server.log()}")
        if answers_ok(port, ready_path):
            return
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"server was not ready within {timeout}s:\n{server.log()}")


def answers_ok(port: int, path: str) -> bool:
    """True when ``path`` answers 200; a refused or reset connection means not yet.

    ``http.client`` rather than httpx: the benchmark must not need the test dependencies,
    and the load generator's child process imports this module, so it should load fast.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Interrupt the server and wait for it; kill it if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
