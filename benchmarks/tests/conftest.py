"""Fixtures of the benchmark harness's own tests.

The ``backend`` parameter comes from the suite-wide plugin (``-p shared_tests.plugin``, in
``pyproject.toml``), so ``--backend`` selects the databases here as it does for the contract
suite. The harness's tests need a seeded benchmark database, not an app under test; the one
thing they take from ``shared_tests`` is its throwaway variant, registered for the smoke run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.database import BenchDatabase, bench_database, fresh_url
from benchmarks.tests.once import once, shared_root


@pytest.fixture
def bench(backend: str, tmp_path: Path) -> Iterator[BenchDatabase]:
    """A fresh database on ``backend``, migrated and seeded as a benchmark run seeds it."""
    with fresh_url(backend, tmp_path) as url, bench_database(backend, url) as database:
        yield database


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one real smoke run (data, asgi and wire layers), made with the
    throwaway variant ``second-core`` registered (``benchmarks.tests.smoke_run``).

    A real run takes about 20 s; the harness's end-to-end test and the registry's test both
    read this one (each checks its own half: a complete report, and the new variant measured
    on every layer).
    """

    def run(directory: Path) -> dict[str, object]:
        untraced = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("COVERAGE_", "COV_CORE_"))
        }
        command = [sys.executable, "-m", "benchmarks.tests.smoke_run", str(directory)]
        done = subprocess.run(command, env=untraced, capture_output=True, text=True, check=False)
        return {"code": done.returncode, "log": (done.stdout + done.stderr)[-4000:]}

    result = once(tmp_path_factory, "smoke-run", run)
    assert result["code"] == 0, result["log"]
    return shared_root(tmp_path_factory) / "once-smoke-run"
