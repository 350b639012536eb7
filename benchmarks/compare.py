"""One run against an earlier one: every figure both measured, and whether it changed.

``python -m benchmarks --compare OLD.json`` reads the earlier ``report.json`` with
``Report.from_json`` and prints :func:`format_change_table` of :func:`compare_reports`. Two
runs rarely share a machine state, so unlike the paired ratios within one run
(``benchmarks.stats``) the tests here are conservative: a timing or ratio changed only when
the two runs' 95% intervals do not overlap, a load figure (one median per run, no interval)
only past a wide threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.results import Interval, Report

# Load figures are single samples, so a change counts only beyond these thresholds.
LOAD_THROUGHPUT_THRESHOLD = 0.10  # requests_per_s lower by more than 10%: a regression
LOAD_P99_THRESHOLD = 0.25  # p99 latency higher by more than 25%: a regression


@dataclass(frozen=True)
class Change:
    """One figure of an earlier run (``old``) against the same figure of a later run (``new``).

    ``change`` is ``new / old - 1``: positive means a longer time, more requests per second
    or a higher latency. ``regression`` is only ever set on a significant change for the worse.
    """

    key: str
    old: float
    new: float
    change: float
    significant: bool
    regression: bool


@dataclass(frozen=True)
class _Figure:
    """One comparable figure of a report: a bootstrapped timing or a single load sample."""

    kind: str  # "timing", "ratio", "requests_per_s" or "p99"
    value: float
    low: float
    high: float

    @classmethod
    def of_interval(cls, kind: str, interval: Interval) -> _Figure:
        """A figure from repeats: its median and 95% interval."""
        return cls(kind, interval.median, interval.low, interval.high)

    @classmethod
    def single(cls, kind: str, value: float) -> _Figure:
        """A figure with no interval (one median per run): its own interval."""
        return cls(kind, value, value, value)


def _figures(report: Report) -> dict[str, _Figure]:
    """Every comparable figure of ``report``, by key, in report order.

    Keys name what was measured, not where it sits in the file: ``layer/backend/rung/
    operation`` for a time, ``layer/backend/upper÷lower/operation`` for a ratio and
    ``load/backend/app/endpoint/c<concurrency>/requests_per_s`` (or ``/p99_ms``) over the wire,
    ``c<concurrency>×<workers>`` for a cell served by more than one worker process.
    """
    figures: dict[str, _Figure] = {}

    def add(key: str, figure: _Figure) -> None:
        if key in figures:
            raise ValueError(f"figure {key!r} appears twice in one report")
        figures[key] = figure

    for timing in report.timings:
        key = "/".join([timing.layer, timing.backend, timing.rung, timing.operation])
        add(key, _Figure.of_interval("timing", timing.interval))
        for ratio in timing.ratios:
            name = f"{ratio.numerator}÷{ratio.denominator}"
            ratio_key = "/".join([timing.layer, timing.backend, name, timing.operation])
            add(ratio_key, _Figure.of_interval("ratio", ratio.interval))
    for run in report.load:
        if run.invalid:
            continue  # an invalid cell (unexpected statuses) is no figure to compare
        # ``c16×2``: the same cell served by two worker processes (``--full``) is a figure
        # of its own.
        cell = f"c{run.concurrency}" + (f"×{run.workers}" if run.workers > 1 else "")
        base = "/".join(["load", run.backend, run.app, run.endpoint, cell])
        add(f"{base}/requests_per_s", _Figure.single("requests_per_s", run.requests_per_s))
        if "p99" in run.latency_ms:
            add(f"{base}/p99_ms", _Figure.single("p99", run.latency_ms["p99"]))
    return figures


def _relative_change(old: float, new: float) -> float:
    """``new / old - 1``, infinite when a zero figure became positive."""
    if old == 0:
        return 0.0 if new == 0 else math.copysign(math.inf, new)
    return new / old - 1.0


def _compare(key: str, old: _Figure, new: _Figure) -> Change:
    """Judge one figure; the rule depends on whether it came from repeats or a single run."""
    change = _relative_change(old.value, new.value)
    if old.kind in ("timing", "ratio"):
        # Non-overlapping 95% intervals: conservative (it misses some real changes) but it
        # never needs the two runs' samples to be comparable as one population.
        significant = new.low > old.high or new.high < old.low
        regression = significant and new.value > old.value
    elif old.kind == "requests_per_s":
        significant = abs(change) > LOAD_THROUGHPUT_THRESHOLD
        regression = change < -LOAD_THROUGHPUT_THRESHOLD
    else:
        significant = abs(change) > LOAD_P99_THRESHOLD
        regression = change > LOAD_P99_THRESHOLD
    return Change(
        key=key,
        old=old.value,
        new=new.value,
        change=change,
        significant=significant,
        regression=regression,
    )


def compare_reports(old: Report, new: Report) -> list[Change]:
    """Every figure present in both reports, judged old against new.

    Timings (``layer/backend/rung/operation``, lower is better) are significant when the two
    runs' 95% confidence intervals do not overlap. That is a conservative test: two intervals
    can overlap a little while the medians still differ, so a few real changes go unflagged,
    but what is flagged is real. A slower significant timing is a regression.

    Load figures (``load/backend/app/endpoint/c<concurrency>/requests_per_s`` and ``.../p99_ms``)
    are single samples with no interval, so only a large change counts: throughput lower by
    more than 10% or p99 latency higher by more than 25% is a regression, and a change that
    large in the better direction is a significant improvement.

    Figures present in only one run are skipped; :func:`unmatched_keys` lists them.
    The result follows the order of the new report.
    """
    old_figures = _figures(old)
    return [
        _compare(key, old_figures[key], figure)
        for key, figure in _figures(new).items()
        if key in old_figures
    ]


def unmatched_keys(old: Report, new: Report) -> tuple[list[str], list[str]]:
    """The figure keys only in ``old`` and only in ``new``, so a comparison never hides them."""
    old_keys = list(_figures(old))
    new_keys = list(_figures(new))
    return (
        [key for key in old_keys if key not in new_keys],
        [key for key in new_keys if key not in old_keys],
    )


def _verdict(change: Change) -> str:
    """``REGRESSION``, ``faster``/``better`` for a significant improvement, or ``~``."""
    if change.regression:
        return "REGRESSION"
    if not change.significant:
        return "~"
    if change.key.startswith("load/"):
        return "better"
    return "lower" if "÷" in change.key else "faster"


def _number(value: float) -> str:
    """A figure with enough digits for microsecond timings and request rates alike."""
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def format_change_table(changes: list[Change]) -> str:
    """A plain-text table of a comparison, one line per figure, for a terminal or a CI log.

    Regressions say ``REGRESSION`` so that they can be searched for; a significant improvement
    says ``faster`` (timings) or ``better`` (load); a change within the noise says ``~``.
    """
    header = ("figure", "old", "new", "change", "verdict")
    rows = [
        (c.key, _number(c.old), _number(c.new), f"{c.change:+.1%}", _verdict(c)) for c in changes
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, str, str, str, str]) -> str:
        key, old, new, change, verdict = row
        return "  ".join(
            [
                key.ljust(widths[0]),
                old.rjust(widths[1]),
                new.rjust(widths[2]),
                change.rjust(widths[3]),
                verdict,
            ]
        ).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])
