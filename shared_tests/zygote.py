"""Start the tests' app servers as forks of a process that has imported their libraries.

A new server process spends about 0.4 s of CPU importing FastAPI, pydantic, SQLAlchemy,
Alembic, uvicorn and the database drivers before it serves its first request, and the suite
starts a few hundred of them. So each xdist worker keeps one *zygote*: a Python process that
imported those libraries once (never the project's own modules) and forks a server when
asked. The fork then becomes what ``python -m orm_app …`` would be: its arguments, working
directory and environment, stdout and stderr to the server's log, stdin from /dev/null, the
variant's ``__main__`` run as ``-m`` runs it, coverage started when its environment asks for
it (as coverage's ``.pth`` file does in a new process), and an exit through the interpreter's
normal shutdown, so its exit status, atexit handlers and last log lines are a real process's.

The server is a child of the test's process, not of the zygote: the zygote forks twice and the
middle process exits at once, and while it asks the test process marks itself a "child
subreaper" (``prctl``), so the kernel hands the orphaned server to it. The test then waits on
it, signals it and reads its exit status as it would a ``Popen``'s (``ForkedServer``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import json
import os
import runpy
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PRELOADED = (
    "fastapi",
    "fastapi.routing",
    "fastapi_offline",
    "starlette.middleware.base",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.autogenerate",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.lifespan.on",
    "psycopg",
    "asyncpg",
    "pymysql",
    "aiomysql",
    "aiosqlite",
)
"""What every server imports and none of it the project's: a server still imports
``todo_contract`` and its app itself, so coverage traces those imports in a measured one."""

COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
PR_SET_CHILD_SUBREAPER = 36
"""``prctl`` option (linux/prctl.h): orphaned descendants are re-parented to this process."""
WAIT_POLL_S = 0.005
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# The zygote's side.


def main() -> None:
    """Import ``PRELOADED``, then fork a server for each request line on stdin until EOF.

    A Ctrl-C in the terminal reaches the whole process group: the zygote ignores it and ends
    with its test process (its stdin's EOF); the servers take it as a real one would."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in PRELOADED:
        importlib.import_module(name)
    request = serve_requests()
    if request is not None:  # in a forked server: become it, and exit as it exits
        become_server(request)


def serve_requests() -> dict[str, Any] | None:
    """Answer each request with the pid of a forked server; ``None`` at EOF in the zygote,
    the request itself in the forked server."""
    for line in sys.stdin:
        request: dict[str, Any] = json.loads(line)
        read_end, write_end = os.pipe()
        middle = os.fork()
        if middle == 0:
            os.close(read_end)
            server = os.fork()
            if server == 0:
                os.close(write_end)
                return request
            os.write(write_end, str(server).encode())
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pid_pipe:
            server_pid = pid_pipe.read().decode()
        os.waitpid(middle, 0)  # the server is the test process's child from here on
        sys.stdout.write(server_pid + "\n")
        sys.stdout.flush()
    return None


def become_server(request: dict[str, Any]) -> None:
    """Turn this fork into ``python -m <module> <args>`` as the request describes it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stdin = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(stdin, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(stdin)
    os.close(log)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = request["cwd"]  # as -m puts the working directory first
    added = [entry for entry in request["env"].get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[1:1] = [entry for entry in added if entry not in sys.path]
    sys.argv = [request["module"], *request["args"]]
    if any(variable in os.environ for variable in COVERAGE_VARIABLES):
        import coverage

        coverage.process_startup()
    runpy.run_module(request["module"], run_name="__main__", alter_sys=True)


# The test process's side.


class ForkedServer:
    """A server forked by the zygote, handled as a ``subprocess.Popen``: it is this
    process's child, so ``waitpid`` gives its exit status."""

    def __init__(self, pid: int, args: Sequence[str]) -> None:
        self.pid = pid
        self.args = list(args)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once the server has exited (``-N`` for signal N), else ``None``."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit; ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(WAIT_POLL_S)
        return code

    def send_signal(self, sig: int) -> None:
        """Signal the server unless it has exited (and been waited for) already."""
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """This process's zygote, started on first use and ended when this process exits."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        atexit.register(self.close)

    def fork(
        self, command: Sequence[str], *, cwd: Path, env: dict[str, str], log_path: Path
    ) -> ForkedServer:
        """Start ``command`` (``python -m <module> <args>`` of this interpreter) as a fork,
        its stdout and stderr appended to ``log_path``."""
        if list(command[:2]) != [sys.executable, "-m"]:
            raise ValueError(f"not a python -m command of this interpreter: {command}")
        request = {
            "module": command[2],
            "args": list(command[3:]),
            "cwd": str(cwd.resolve()),
            "env": env,
            "log": str(log_path.resolve()),
        }
        for _ in range(2):  # once more with a new zygote if this one has died
            process = self._running()
            assert process.stdin is not None and process.stdout is not None
            try:
                with child_subreaper():
                    process.stdin.write(json.dumps(request) + "\n")
                    process.stdin.flush()
                    answer = process.stdout.readline()
            except BrokenPipeError:
                answer = ""
            if answer:
                return ForkedServer(int(answer), command)
            self.close()
        raise RuntimeError(f"the zygote exited ({process.returncode}) instead of forking")

    @property
    def pid(self) -> int | None:
        """The zygote's process id while it runs."""
        return None if self._process is None else self._process.pid

    def _running(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            env = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                cwd=PROJECT_ROOT,
                text=True,
            )
        return self._process

    def close(self) -> None:
        """End the zygote (its servers are the tests' to stop); a dead one is waited for."""
        if self._process is not None:
            with contextlib.suppress(BrokenPipeError), self._process:
                pass  # Popen's exit closes the zygote's stdin (its EOF) and waits for it
            self._process = None


@contextlib.contextmanager
def child_subreaper() -> Iterator[None]:
    """Be this process's orphaned descendants' parent while the block runs (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


ZYGOTE = Zygote()
"""This process's zygote (an xdist worker has its own)."""


if __name__ == "__main__":
    main()
