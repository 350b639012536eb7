"""How cost grows with work: time = fixed + per-row × rows, fitted per rung with intervals.

The size series (``benchmarks.registry.SERIES``: lists of 1 … 1000 rows, inserts of 1 … 1000
rows in one transaction) give each rung one time per size. A straight line through them
splits the rung's cost into what every call pays (the intercept, µs per call) and what each
row adds (the slope, µs per row), so "the ORM costs 3× on one row and 1.35× on a thousand"
becomes two numbers that hold at every size.

The line is fitted by *weighted* least squares with weights 1/t² (t: the size's median
time): timing noise is roughly proportional to the time, and an unweighted fit would let the
thousand-row point's noise (a few hundred µs) swamp an intercept of a hundred µs. Weighted,
each size counts by its relative error: the small sizes fix the intercept, the large ones
the slope.

Intervals: every repeat of the interleaved run measured every size of a rung, so the line is
fitted once per repeat; the reported fixed and per-row costs are the medians of those
per-repeat fits with 95% bootstrap intervals, and a difference between two rungs (the ORM
minus Core) is the median of per-repeat differences, paired like every ratio in the report.
A rung with fewer than two sizes, or with repeats that do not pair, gets no line: it is
reported as not measured, never as a number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.ladder import is_async
from benchmarks.registry import OPERATIONS, SERIES
from benchmarks.results import CostFit, Interval, Timing
from benchmarks.stats import bootstrap_median_interval


@dataclass(frozen=True)
class Line:
    """One fitted line: µs per call and µs per row."""

    fixed: float
    per_row: float

    def at(self, rows: float) -> float:
        """The line's time for ``rows`` rows."""
        return self.fixed + self.per_row * rows


def fit_line(rows: Sequence[float], times: Sequence[float], weights: Sequence[float]) -> Line:
    """Weighted least squares of ``times`` against ``rows`` (at least two distinct rows)."""
    x = np.asarray(rows, dtype=np.float64)
    y = np.asarray(times, dtype=np.float64)
    root = np.sqrt(np.asarray(weights, dtype=np.float64))
    if x.size != y.size or x.size != root.size:
        raise ValueError("rows, times and weights must be as long as each other")
    if np.unique(x).size < 2:
        raise ValueError("a line needs at least two distinct sizes")
    design = np.column_stack([np.ones_like(x), x]) * root[:, None]
    (fixed, per_row), *_ = np.linalg.lstsq(design, y * root, rcond=None)
    return Line(float(fixed), float(per_row))


@dataclass(frozen=True)
class SeriesFit:
    """The per-repeat fits of one rung's series, or why there are none."""

    sizes: list[int]
    medians: list[float]
    fixed: list[float]
    per_row: list[float]
    reason: str = ""


def fit_repeats(samples_by_size: Mapping[int, Sequence[float]]) -> SeriesFit:
    """One line per repeat through ``{rows: per-repeat µs}``; a reason instead when none can
    be fitted (fewer than two sizes, repeats of different lengths, no repeat)."""
    sizes = sorted(samples_by_size)
    medians = [float(np.median(samples_by_size[size])) for size in sizes]
    lengths = {len(samples_by_size[size]) for size in sizes}
    if len(sizes) < 2:
        shown = ", ".join(f"{size:,}" for size in sizes) or "none"
        return SeriesFit(sizes, medians, [], [], f"one size only ({shown} rows): a line needs two")
    if len(lengths) != 1 or 0 in lengths:
        return SeriesFit(sizes, medians, [], [], "the sizes' repeats do not pair")
    weights = [1.0 / median**2 if median > 0 else 0.0 for median in medians]
    lines = [
        fit_line(sizes, [samples_by_size[size][repeat] for size in sizes], weights)
        for repeat in range(lengths.pop())
    ]
    return SeriesFit(
        sizes, medians, [line.fixed for line in lines], [line.per_row for line in lines]
    )


def cost_fit(layer: str, backend: str, rung: str, series: str, fit: SeriesFit) -> CostFit:
    """The reported figure of one fit: medians, intervals, and how far the line strays."""
    if fit.reason:
        return CostFit(
            layer,
            backend,
            rung,
            series,
            fit.sizes,
            fit.medians,
            None,
            None,
            not_measured=fit.reason,
        )
    fixed = bootstrap_median_interval(fit.fixed)
    per_row = bootstrap_median_interval(fit.per_row)
    line = Line(fixed.median, per_row.median)
    worst = max(
        abs(median - line.at(size)) / median
        for size, median in zip(fit.sizes, fit.medians, strict=True)
    )
    return CostFit(
        layer,
        backend,
        rung,
        series,
        fit.sizes,
        [round(m, 3) for m in fit.medians],
        fixed,
        per_row,
        [round(value, 4) for value in fit.fixed],
        [round(value, 5) for value in fit.per_row],
        round(worst, 4),
    )


def cost_curves(timings: Sequence[Timing]) -> list[CostFit]:
    """A fit per (backend, layer, rung, series) that has any size measured, in the timings'
    order; one size alone gives a not-measured entry, except on an asyncio rung (a profile
    measures those on its headline operations only, so one size of a series is expected:
    no line was asked for)."""
    grouped: dict[tuple[str, str, str, str], dict[int, list[float]]] = defaultdict(dict)
    for timing in timings:
        operation = OPERATIONS.get(timing.operation)
        if operation is None or operation.series is None:
            continue
        key = (timing.backend, timing.layer, timing.rung, operation.series)
        grouped[key][operation.rows] = timing.samples
    for single in [k for k, sizes in grouped.items() if len(sizes) < 2 and is_async(k[2])]:
        del grouped[single]
    ordered = sorted(grouped, key=lambda key: SERIES.index(key[3]))  # stable: timings' order
    return [
        cost_fit(layer, backend, rung, series, fit_repeats(grouped[key]))
        for key in ordered
        for backend, layer, rung, series in (key,)
    ]


def _paired(upper: Sequence[float], lower: Sequence[float]) -> Interval | None:
    if not upper or len(upper) != len(lower):
        return None
    return bootstrap_median_interval([a - b for a, b in zip(upper, lower, strict=True)])


def fit_difference(upper: CostFit, lower: CostFit) -> tuple[Interval, Interval] | None:
    """(fixed, per-row) of ``upper`` minus ``lower``, per repeat, or None when either has no
    fit or their repeats do not pair (then the difference is not stated)."""
    if upper.sizes != lower.sizes:
        return None
    fixed = _paired(upper.fixed_samples, lower.fixed_samples)
    per_row = _paired(upper.per_row_samples, lower.per_row_samples)
    if fixed is None or per_row is None:
        return None
    return fixed, per_row


def find_fit(
    curves: Sequence[CostFit], backend: str, layer: str, rung: str, series: str
) -> CostFit | None:
    """The fit of one rung's series, if it was made (a not-measured entry is None here)."""
    return next(
        (
            c
            for c in curves
            if (c.backend, c.layer, c.rung, c.series) == (backend, layer, rung, series)
            and c.fixed_us is not None
        ),
        None,
    )


def lifecycle(own: Timing, kept: Timing) -> Interval | None:
    """``own − kept`` per repeat: what opening and closing a unit of work costs one call
    (a variant's rung against its kept-open rung, measured in the same repeats)."""
    return _paired(own.samples, kept.samples)
