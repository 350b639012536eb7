"""The statistics behind every figure the benchmark reports.

Benchmark timings are noisy and not normally distributed (a few slow outliers from GC, the OS
scheduler or the database are normal), so every figure is summarized by its *median* with a
*percentile bootstrap* confidence interval, which assumes nothing about the distribution.
Comparisons between two variants (ORM vs core, ...) are made *paired*: both were measured in
the same repeat, interleaved, so drift of the machine (thermal throttling, background load)
affects both alike and cancels in the per-repeat ratio. Comparisons with an earlier run are
``benchmarks.compare``'s.

Everything here is deterministic given a seed, so that the same samples always produce the
same report.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from benchmarks.results import Interval, Ratio

T = TypeVar("T")

# Bound the memory of one bootstrap batch (resamples x n indices) to about 8 MB.
_MAX_BATCH_ELEMENTS = 1_000_000


def _as_array(values: Sequence[float], what: str) -> npt.NDArray[np.float64]:
    """Validate ``values`` once, so the numpy code after never sees empty or NaN input."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a flat sequence of numbers")
    if array.size == 0:
        raise ValueError(f"{what} must not be empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite numbers, got {list(values)!r}")
    return array


def median(values: Sequence[float]) -> float:
    """The median: the summary of timings that a few slow outliers cannot drag.

    Raises ValueError on empty input (numpy would only warn and return NaN).
    """
    return float(np.median(_as_array(values, "values")))


def bootstrap_median_interval(
    samples: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """The median of ``samples`` with a percentile-bootstrap confidence interval.

    The bootstrap makes no assumption about the shape of the distribution, which suits skewed
    timings. The same seed always gives the same interval, so a report can be reproduced from
    its samples. With one sample the interval collapses to that value (there is nothing to
    resample); with two it spans them. The interval is widened if needed to contain the sample
    median, which the percentile method can otherwise miss for tiny samples.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 exclusive, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    data = _as_array(samples, "samples")
    center = float(np.median(data))
    n = data.size
    if n == 1:
        return Interval(median=center, low=center, high=center)

    rng = np.random.default_rng(seed)
    batch = max(1, _MAX_BATCH_ELEMENTS // n)
    medians: list[npt.NDArray[np.float64]] = []
    remaining = resamples
    while remaining > 0:
        rows = min(batch, remaining)
        indices = rng.integers(0, n, size=(rows, n))
        medians.append(np.median(data[indices], axis=1))
        remaining -= rows
    alpha = 1.0 - confidence
    low, high = np.quantile(np.concatenate(medians), [alpha / 2, 1.0 - alpha / 2])
    return Interval(median=center, low=min(float(low), center), high=max(float(high), center))


def _paired_ratios(
    numerators: Sequence[float], denominators: Sequence[float]
) -> npt.NDArray[np.float64]:
    """Per-repeat ratios, refusing input that cannot be paired or divided."""
    nums = _as_array(numerators, "numerators")
    dens = _as_array(denominators, "denominators")
    if nums.size != dens.size:
        raise ValueError(
            f"numerators and denominators must be paired: got {nums.size} and {dens.size}"
        )
    if np.any(dens <= 0):
        raise ValueError(f"denominators must be positive, got {list(denominators)!r}")
    ratios: npt.NDArray[np.float64] = nums / dens
    return ratios


def ratio_interval(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """The median of the per-repeat ratios ``numerators[i] / denominators[i]``, bootstrapped.

    Paired on purpose: ``numerators[i]`` and ``denominators[i]`` were measured interleaved in
    the same repeat, so whatever slowed the machine during that repeat slowed both, and the
    ratio cancels it. Dividing two independently summarized medians would keep that noise.
    Raises ValueError on empty input, a length mismatch or a non-positive denominator.
    """
    ratios = _paired_ratios(numerators, denominators)
    return bootstrap_median_interval(
        ratios.tolist(), confidence=confidence, resamples=resamples, seed=seed
    )


def make_ratio(
    numerator_name: str,
    denominator_name: str,
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Ratio:
    """A named paired ratio, significant when its interval excludes 1.0 (no difference)."""
    interval = ratio_interval(
        numerators, denominators, confidence=confidence, resamples=resamples, seed=seed
    )
    return Ratio(
        numerator=numerator_name,
        denominator=denominator_name,
        interval=interval,
        significant=not interval.spans_one(),
    )


ROUND_METHOD = "rounds: median, robust t prediction interval"
"""How over-the-wire ratios are summarized (``Ratio.method``), see :func:`round_ratio_interval`."""

MAD_TO_SIGMA = 1.4826
"""The median absolute deviation times this estimates a normal spread's standard deviation."""


PIVOT_DRAWS = 200_000


@functools.cache
def prediction_factor(rounds: int) -> float:
    """The 95th percentile of ``|median(A) − median(B)| / (MAD_TO_SIGMA · MAD(A))`` over two
    independent samples of ``rounds`` standard normal values: what a robust spread is
    multiplied by to predict another run's median (see :func:`round_ratio_interval`).
    Simulated with a fixed seed, so the same rounds always give the same interval.
    """
    if rounds < 2:
        raise ValueError(f"need at least 2 rounds, got {rounds}")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((PIVOT_DRAWS, rounds))
    b = rng.standard_normal((PIVOT_DRAWS, rounds))
    center = np.median(a, axis=1)
    spread = MAD_TO_SIGMA * np.median(np.abs(a - center[:, None]), axis=1)
    pivot = np.abs(center - np.median(b, axis=1)) / spread
    return float(np.quantile(pivot, 0.95))


def round_ratio_interval(numerators: Sequence[float], denominators: Sequence[float]) -> Interval:
    """The median of per-round ratios, with a 95% interval for *another run's* median.

    Over the wire the noise of a shared machine drifts over tens of seconds: two apps measured
    back to back in one round share it, but consecutive rounds do not, and the rounds of one
    run do not see what the next run will. A bootstrap of the median of five adjacent ratios
    was far too narrow (two consecutive runs here disagreed beyond each other's intervals).
    So each round is one observation (the unit that carries the drift), on a log scale (a
    ratio and its inverse get the same width). A round in which a busy machine starved the
    server or the generator gives a wild ratio, so the figure is the *median* of the rounds
    and the spread their median absolute deviation (``MAD_TO_SIGMA`` × MAD estimates σ; a
    standard deviation would let one starved round decide the width). The interval is a
    95% prediction interval for the median of another run of as many rounds:
    ``median ± prediction_factor(n) · σ``, the factor being the 95th percentile of
    ``|median(A) − median(B)| / σ(A)`` for two runs of n normal rounds (a t-like pivot
    whose quantile has no closed form for medians and MADs, so it is simulated, with a
    fixed seed). A confidence interval for this run's figure alone would contain the next
    run's only about 83% of the time even if nothing drifted, since that figure is noisy
    too; ``python -m benchmarks.calibration`` checks how often this one does on the machine.
    One round gives no interval (it collapses to the figure).
    """
    ratios = _paired_ratios(numerators, denominators)
    if np.any(ratios <= 0):
        raise ValueError(f"ratios must be positive, got {ratios.tolist()!r}")
    logs = np.log(ratios)
    center = float(np.median(logs))
    n = logs.size
    if n == 1:
        value = math.exp(center)
        return Interval(median=value, low=value, high=value)
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(logs - center)))
    half = prediction_factor(n) * sigma
    return Interval(
        median=math.exp(center), low=math.exp(center - half), high=math.exp(center + half)
    )


def make_round_ratio(
    numerator_name: str,
    denominator_name: str,
    numerators: Sequence[float],
    denominators: Sequence[float],
) -> Ratio:
    """A named over-the-wire ratio (:func:`round_ratio_interval`), significant when its
    interval excludes 1.0."""
    interval = round_ratio_interval(numerators, denominators)
    return Ratio(
        numerator=numerator_name,
        denominator=denominator_name,
        interval=interval,
        significant=not interval.spans_one(),
        method=ROUND_METHOD,
    )


def interleaved_schedule(items: Sequence[T], repeats: int, *, seed: int = 0) -> list[list[T]]:
    """For each repeat, every item once, in a shuffled order.

    Running all of A and then all of B would charge any drift of the machine (warming caches,
    thermal throttling, a backup starting) to one variant; interleaving within each repeat
    spreads it over both, and shuffling keeps any one variant from always going first.
    Consecutive repeats never share an order (when there are at least two items), and the
    schedule is the same for the same seed.
    """
    if repeats < 0:
        raise ValueError(f"repeats must not be negative, got {repeats}")
    rng = np.random.default_rng(seed)
    n = len(items)
    schedule: list[list[T]] = []
    previous: list[int] | None = None
    for _ in range(repeats):
        order = [int(i) for i in rng.permutation(n)]
        while n >= 2 and order == previous:
            order = [int(i) for i in rng.permutation(n)]
        schedule.append([items[i] for i in order])
        previous = order
    return schedule
