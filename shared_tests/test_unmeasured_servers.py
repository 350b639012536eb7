"""Tests marked ``no_cover`` start their servers without coverage (``shared_tests.plugin``).

Under ``make test`` coverage hands ``COVERAGE_PROCESS_CONFIG`` to every process a test starts;
a server started from a ``no_cover`` test must not inherit it.
"""

from __future__ import annotations

import os

import pytest


@pytest.mark.no_cover
def test_a_no_cover_test_gives_the_servers_it_starts_no_coverage_configuration() -> None:
    assert "COVERAGE_PROCESS_CONFIG" not in os.environ
