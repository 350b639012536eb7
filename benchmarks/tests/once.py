"""Results that every xdist worker shares: the first worker to ask makes them, the rest wait.

A real smoke run or a pair of callgrind runs takes a minute or more; a session fixture is
per *worker*, so with ``-n 2`` each would run twice. (xdist's ``--dist loadgroup`` would keep
such tests on one worker, but it does not group them with the pytest this project pins.) This
is the recipe from xdist's documentation, with the standard library's ``fcntl`` lock: the
result is written to a file beside the workers' temporary directories, under a lock.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every worker of this run sees (the parent of the workers' own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """``make(directory)``'s JSON-able result, made by one worker of the run and read by all.

    ``directory`` is shared by every worker, so files ``make`` writes there (a report) are
    there for the others too.
    """
    root = shared_root(tmp_path_factory)
    directory = root / f"once-{name}"
    result_path = root / f"once-{name}.json"
    with (root / f"once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result_path.exists():
            return json.loads(result_path.read_text())["result"]
        directory.mkdir(exist_ok=True)
        result = make(directory)
        result_path.write_text(json.dumps({"result": result}))
        return result
