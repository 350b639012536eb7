"""Run a variant's command line in this process, as ``python -m orm_app …`` runs it, to its exit.

A refusal to start is decided before the command line imports the app or the server stack
(``todo_contract.cli``), yet a new Python process spends about half a second importing
SQLAlchemy and pydantic to get there, and over 0.6 s under coverage: most of each of the
hundred-odd start-up error tests. Here the variant's ``__main__`` module runs through
``runpy`` with its arguments in ``sys.argv``, in the given working directory, with the root
logger as a new process has it (no handlers: ``logging.basicConfig`` then writes to the
captured stderr) and restored afterwards. ``test_startup_errors`` shows, per variant, that
a refusal reads the same here as from the real process.

Only for runs that end before serving: a run that would start uvicorn fails at once instead.
"""

from __future__ import annotations

import contextlib
import io
import logging
import runpy
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import uvicorn
from uvicorn.supervisors import Multiprocess

from shared_tests.live_server import with_free_port
from todo_contract.variants import variant


def run_in_process(
    app_kind: str, args: Sequence[str], *, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -m <app> <args>`` run here to its exit, on a free port unless ``args`` name one
    (as ``run_to_exit`` does): status, stdout and stderr."""
    command = variant(app_kind).command(*with_free_port(args))
    module, argv = command[2], command[3:]
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    with (
        contextlib.chdir(cwd),
        _fresh_root_logger(),
        mock.patch.object(sys, "argv", [module, *argv]),
        mock.patch.object(uvicorn.Server, "run", _refuse_to_serve),
        mock.patch.object(Multiprocess, "run", _refuse_to_serve),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as exit_:
            status = _exit_status(exit_.code)  # inside the capture: it may print, as Python does
    return subprocess.CompletedProcess(command, status, stdout.getvalue(), stderr.getvalue())


def _exit_status(code: int | str | None) -> int:
    """The status a process exiting with ``SystemExit(code)`` reports."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _refuse_to_serve(*_: Any, **__: Any) -> None:
    raise AssertionError("the command line started serving: run it with live_server instead")


@contextlib.contextmanager
def _fresh_root_logger() -> Iterator[None]:
    """The root logger with no handlers, as in a new process; everything put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    alembic = logging.getLogger("alembic")
    alembic_level = alembic.level
    root.handlers.clear()
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        alembic.setLevel(alembic_level)
