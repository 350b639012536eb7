"""Which over-the-wire cells may become figures: one rule, asked everywhere.

A load run whose window held responses other than the operation's expected status measured
something else (a DELETE answered by 404s is not a DELETE): it must never become a ratio, a
target, a conclusion, a sentence of the verdict or a part of the breakdown. Every reader of
``Report.load`` that draws a figure from a run asks ``usable(run)`` first (the targets and
conclusions also name the invalid cell, ``benchmarks.targets``; its tests are in
``benchmarks/tests/test_benchmark_invalid_cells.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from benchmarks.results import LoadRun


def usable(run: LoadRun) -> bool:
    """True when ``run`` may be turned into figures: no unexpected status in its windows."""
    return not run.invalid


def usable_runs(runs: Iterable[LoadRun]) -> list[LoadRun]:
    """The runs that may be turned into figures, in their order."""
    return [run for run in runs if usable(run)]
