"""Tests marked ``unmeasured`` run without coverage, and so do the processes they start
(``shared_tests.plugin``).

Under ``make test`` coverage traces the test process (twice in an xdist worker) and hands
``COVERAGE_PROCESS_CONFIG`` to every process a test starts.
"""

from __future__ import annotations

import os
import sys

import coverage
import pytest


@pytest.mark.unmeasured
def test_an_unmeasured_test_runs_untraced_and_starts_its_servers_without_coverage() -> None:
    assert coverage.Coverage.current() is None
    assert sys.gettrace() is None
    assert "COVERAGE_PROCESS_CONFIG" not in os.environ
