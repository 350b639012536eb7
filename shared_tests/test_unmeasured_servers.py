"""Tests marked ``unmeasured`` run without coverage, and so do the processes they start
(``shared_tests.plugin``).

Under ``make test`` coverage traces the test process (twice in an xdist worker) and hands
``COVERAGE_PROCESS_CONFIG`` to every process a test starts.
"""

from __future__ import annotations

import os
import sys
from typing import cast

import coverage
import pytest

from shared_tests.backends import takes_the_long_run
from shared_tests.plugin import measured


@pytest.mark.unmeasured
def test_an_unmeasured_test_runs_untraced_and_starts_its_servers_without_coverage() -> None:
    assert coverage.Coverage.current() is None
    assert sys.gettrace() is None
    assert "COVERAGE_PROCESS_CONFIG" not in os.environ


@pytest.mark.unmeasured(except_long_run=True)
def test_a_test_unmeasured_except_on_the_long_run_is_traced_on_those_pairs_only(
    request: pytest.FixtureRequest, app_kind: str, backend: str
) -> None:
    traced = bool(request.config.getoption("cov_source")) and takes_the_long_run(app_kind, backend)

    assert (coverage.Coverage.current() is not None) is traced
    assert (sys.gettrace() is not None) is traced
    assert ("COVERAGE_PROCESS_CONFIG" in os.environ) is traced


class UnparametrizedItem:
    """What ``measured`` reads of a test that takes neither ``app_kind`` nor ``backend``."""

    nodeid = "test_x"

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return pytest.mark.unmeasured(except_long_run=True).mark if name == "unmeasured" else None


def test_unmeasured_except_on_the_long_run_is_refused_without_a_variant_and_backend() -> None:
    with pytest.raises(pytest.UsageError, match="test_x: .* needs app_kind and backend"):
        measured(cast(pytest.Item, UnparametrizedItem()))
