"""Fixtures of the benchmark harness's own tests.

The ``backend`` parameter comes from the suite-wide plugin (``-p shared_tests.plugin``, in
``pyproject.toml``), so ``--backend`` selects the databases here as it does for the contract
suite. The harness's tests need a seeded benchmark database, not an app under test; the one
thing they take from ``shared_tests`` is its throwaway variant, registered for the smoke run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.cli import main as bench_main
from benchmarks.database import BenchDatabase, bench_database, fresh_url
from benchmarks.tests.once import once, shared_root
from shared_tests.second_core_app import VARIANT
from todo_contract.variants import registered


@pytest.fixture
def bench(backend: str, tmp_path: Path) -> Iterator[BenchDatabase]:
    """A fresh database on ``backend``, migrated and seeded as a benchmark run seeds it."""
    with fresh_url(backend, tmp_path) as url, bench_database(backend, url) as database:
        yield database


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one real smoke run (data, asgi and wire layers), made with the
    throwaway variant ``second-core`` registered.

    A real run takes about a minute; the harness's end-to-end test and the registry's test
    both read this one (each checks its own half: a complete report, and the new variant
    measured on every layer).
    """

    def run(directory: Path) -> int:
        with registered(VARIANT):
            return bench_main(["--profile", "smoke", "--no-counts", "--output", str(directory)])

    code = once(tmp_path_factory, "smoke-run", run)
    output = shared_root(tmp_path_factory) / "once-smoke-run"
    assert code == 0, (output / "report.md").read_text()
    return output
