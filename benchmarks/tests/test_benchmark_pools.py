"""The over-the-wire layer's app servers share the database server's connections
(``benchmarks.wire.pool_environment``): together their pools fit in its ``max_connections``,
each the same size, and the default size when they all fit."""

from __future__ import annotations

import pytest

from benchmarks.database import BenchDatabase
from benchmarks.ladder import FLOOR, FLOOR_ASYNC
from benchmarks.wire import CONNECTIONS_KEPT_FREE, fair_pool_size, max_connections, pool_environment
from todo_contract.settings import Settings

FOUR_APPS = [
    (FLOOR, 1),
    ("core", 1),
    ("orm", 1),
    (FLOOR_ASYNC, 1),
    ("core-async", 1),
    ("orm-async", 1),
]


def test_four_pools_share_postgresqls_default_hundred_connections_equally() -> None:
    assert fair_pool_size(100, 4, default=40) == 22
    assert fair_pool_size(151, 4, default=40) == 35  # MariaDB's default limit


def test_pools_that_fit_keep_the_default_size() -> None:
    assert fair_pool_size(1000, 4, default=40) == 40


def test_a_server_with_too_few_connections_for_a_pool_each_is_refused() -> None:
    with pytest.raises(RuntimeError, match="too few for 4 app pools"):
        fair_pool_size(CONNECTIONS_KEPT_FREE + 3, 4, default=40)


def test_every_worker_holds_a_pool_and_the_floors_none(bench: BenchDatabase) -> None:
    environment = pool_environment(bench, [*FOUR_APPS, ("orm", 2)])
    if bench.backend == "sqlite":
        assert environment == {}
        return
    limit = max_connections(bench)
    size = int(environment.get("TODO_POOL_SIZE", Settings().pool_size))
    assert size == fair_pool_size(limit, 6, default=Settings().pool_size)
    assert 6 * size + CONNECTIONS_KEPT_FREE <= limit


@pytest.mark.backends("postgresql")
def test_on_postgresql_the_default_pools_of_four_apps_would_not_fit_so_each_gets_less(
    bench: BenchDatabase,
) -> None:
    limit = max_connections(bench)
    assert 4 * Settings().pool_size > limit, "this server would hold four default pools"
    size = int(pool_environment(bench, FOUR_APPS)["TODO_POOL_SIZE"])
    assert 4 * size + CONNECTIONS_KEPT_FREE <= limit
