"""Fixtures of the benchmark harness's own tests.

The ``backend`` parameter comes from the suite-wide plugin (``-p shared_tests.plugin``, in
``pyproject.toml``), so ``--backend`` selects the databases here as it does for the contract
suite. Nothing here reaches into ``shared_tests``: the harness's tests need a seeded benchmark
database, not an app under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.database import BenchDatabase, bench_database, fresh_url


@pytest.fixture
def bench(backend: str, tmp_path: Path) -> Iterator[BenchDatabase]:
    """A fresh database on ``backend``, migrated and seeded as a benchmark run seeds it."""
    with fresh_url(backend, tmp_path) as url, bench_database(backend, url) as database:
        yield database
