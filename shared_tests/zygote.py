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
it, signals it and reads its exit status as it would a ``Popen``'s (``ForkedServer``). (In
``ps`` a forked server still shows the zygote's command line, ``python -m shared_tests.zygote``.)
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
import tempfile
import threading
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

    A Ctrl-C in the terminal reaches the whole process group. The zygote blocks SIGINT, so
    it ends with its test process (its stdin's EOF) instead; a fork unblocks it once it is
    the server, and a SIGINT sent to the server before then is delivered at that moment, as
    it would be to a real process still starting."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    for name in PRELOADED:
        importlib.import_module(name)
    request = serve_requests()
    if request is not None:  # in a forked server: become it, and exit as it exits
        become_server(request)


def serve_requests() -> dict[str, Any] | None:
    """Answer each request with the pid of a forked server (or a line starting ``error:``);
    ``None`` at EOF in the zygote, the request itself in the forked server."""
    for line in sys.stdin:
        request: dict[str, Any] = json.loads(line)
        read_end, write_end = os.pipe()
        middle = os.fork()
        if middle == 0:  # the middle process leaves only by os._exit, or as the server
            os.close(read_end)
            try:
                server = os.fork()
                if server != 0:
                    os.write(write_end, str(server).encode())
            except BaseException:
                os._exit(1)
            if server != 0:
                os._exit(0)
            os.close(write_end)
            return request
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pid_pipe:
            server_pid = pid_pipe.read().decode()
        _, status = os.waitpid(middle, 0)  # the server is the test process's child from here
        if not server_pid:
            server_pid = f"error: no server forked (middle process {status=})"
        sys.stdout.write(server_pid + "\n")
        sys.stdout.flush()
    return None


def become_server(request: dict[str, Any]) -> None:
    """Turn this fork into ``python -m <module> <args>`` as the request describes it."""
    stdin = os.open(os.devnull, os.O_RDONLY)  # as the tests' own stdin is under xdist
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
    for name in [name for name in sys.modules if name.split(".")[0] == "shared_tests"]:
        del sys.modules[name]  # the zygote's own package: a real server could not import it
    sys.argv = [request["module"], *request["args"]]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
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
            pid, status = self._waitpid(os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit; ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            _, status = self._waitpid(0)
            self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(WAIT_POLL_S)
        return code

    def _waitpid(self, options: int) -> tuple[int, int]:
        try:
            return os.waitpid(self.pid, options)
        except ChildProcessError:
            raise RuntimeError(
                f"server {self.pid} is not this process's child (SIGCHLD ignored, or the "
                "zygote used from a fork of the process that started it?)"
            ) from None

    def send_signal(self, sig: int) -> None:
        """Signal the server unless it has exited (and been waited for) already."""
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """This process's zygote, started on first use and ended when this process exits."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._environment: dict[str, str] = {}
        self._log = Path(tempfile.gettempdir()) / f"zygote-{os.getpid()}-{id(self)}.log"
        self._lock = threading.Lock()
        atexit.register(self.close)

    def fork(
        self, command: Sequence[str], *, cwd: Path, env: dict[str, str], log_path: Path
    ) -> ForkedServer:
        """Start ``command`` (``python -m <module> <args>`` of this interpreter) as a fork,
        its stdout and stderr appended to ``log_path``.

        Refused (``ValueError``) when ``env`` changes a variable the interpreter reads only
        as it starts (``PYTHON*``, the locale, ``TZ``): a fork would keep the zygote's; such
        a server is started as a real process (``live_server(..., forked=False)``)."""
        if list(command[:2]) != [sys.executable, "-m"]:
            raise ValueError(f"not a python -m command of this interpreter: {command}")
        request = {
            "module": command[2],
            "args": list(command[3:]),
            "cwd": str(cwd.resolve()),
            "env": env,
            "log": str(log_path.resolve()),
        }
        with self._lock:
            process = self._running()
            if changed := read_at_start_up(env, self._environment):
                raise ValueError(
                    f"{', '.join(changed)} differ from the zygote's and are read only as "
                    "Python starts: start this server as a real process (forked=False)"
                )
            assert process.stdin is not None and process.stdout is not None
            try:
                with child_subreaper():
                    process.stdin.write(json.dumps(request) + "\n")
                    process.stdin.flush()
                    answer = process.stdout.readline().strip()
            except BaseException:
                self.close()  # a Ctrl-C mid-request: its answer must not be the next one's
                raise
            if not answer.isdigit():
                self.close()
                raise RuntimeError(
                    f"the zygote did not fork {command}: {answer or 'it exited'}\n"
                    f"its log ({self._log}):\n{self._log.read_text(errors='replace')[-3000:]}"
                )
            return ForkedServer(int(answer), command)

    @property
    def pid(self) -> int | None:
        """The zygote's process id while it runs."""
        return None if self._process is None else self._process.pid

    def _running(self) -> subprocess.Popen[str]:
        """The zygote, started anew if it is not running (never started, or it died)."""
        if self._process is None or self._process.poll() is not None:
            self.close()
            self._environment = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
            with self._log.open("ab") as log:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", __name__],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=self._environment,
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
        if self._log.exists() and self._log.stat().st_size == 0:
            self._log.unlink()  # a log with something in it is kept for whoever looks


def read_at_start_up(wanted: dict[str, str], zygote: dict[str, str]) -> list[str]:
    """The variables the interpreter reads only as it starts whose values ``wanted``
    changes from the ``zygote``'s (a hash seed, warnings, paths, the locale, the zone)."""
    names = {*wanted, *zygote}
    return sorted(
        name
        for name in names
        if (name.startswith(("PYTHON", "LC_")) or name in {"LANG", "TZ"})
        and wanted.get(name) != zygote.get(name)
    )


@contextlib.contextmanager
def child_subreaper() -> Iterator[None]:
    """Be this process's orphaned descendants' parent while the block runs (Linux).

    Only while a fork is asked for: any other descendant orphaned in that moment (a
    browser's helper, say) is adopted too and left a zombie until this process ends."""
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
