"""The order the suite hands its tests to xdist (``shared_tests.plugin``), and which variant
takes the long version of a load test on which backend (``shared_tests.backends``).

With ``--dist worksteal`` each of N workers starts on one contiguous Nth of the list; the long
tests must be spread over those Nths, first in each, or one worker runs them all in a row
while the others wait for work at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pytest

from shared_tests.backends import BACKENDS, takes_the_long_run
from shared_tests.plugin import slow_first_on_every_worker
from shared_tests.second_core_app import VARIANT
from todo_contract.variants import registered, variants


@dataclass
class FakeItem:
    name: str

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.name.startswith("slow") else None


def names(items: list[pytest.Item]) -> list[str]:
    return [cast(FakeItem, item).name for item in items]


ITEMS = cast(
    list[pytest.Item],
    [FakeItem(name) for name in ["q1", "slow1", "q2", "q3", "slow2", "q4", "slow3", "slow4"]],
)


def test_each_workers_share_starts_with_its_slow_tests_odd_workers_from_the_last() -> None:
    ordered = slow_first_on_every_worker(ITEMS, workers=2)

    first, second = names(ordered)[:4], names(ordered)[4:]
    assert first == ["slow1", "slow3", "q1", "q3"]
    assert second == ["slow4", "slow2", "q2", "q4"]


def test_without_xdist_the_slow_tests_come_first_in_their_order() -> None:
    ordered = slow_first_on_every_worker(ITEMS, workers=1)

    assert names(ordered) == ["slow1", "slow2", "slow3", "slow4", "q1", "q2", "q3", "q4"]


def test_every_variant_and_every_backend_meets_a_long_run_and_no_more_pairs_than_needed() -> None:
    """Long runs (256 clients, the full leak soak) are paired off in turn: with the four
    registered variants on three backends, four pairs, one per variant, each backend once
    at least."""
    names = [variant.name for variant in variants()]
    long_runs = [
        (name, backend)
        for name in names
        for backend in BACKENDS
        if takes_the_long_run(name, backend)
    ]
    assert {name for name, _ in long_runs} == set(names)
    assert {backend for _, backend in long_runs} == set(BACKENDS)
    assert len(long_runs) == max(len(names), len(BACKENDS))


def test_with_a_fifth_variant_it_gets_a_long_run_of_its_own() -> None:
    with registered(VARIANT):
        assert sum(takes_the_long_run(VARIANT.name, backend) for backend in BACKENDS) == 1
        assert sum(
            takes_the_long_run(variant.name, backend)
            for variant in variants()
            for backend in BACKENDS
        ) == len(variants())
