"""The benchmark's statistics: medians, bootstrap intervals, paired ratios, schedules.

These are plain functions of numbers, so the tests need no app and no database.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.results import Interval, Ratio
from benchmarks.stats import (
    bootstrap_median_interval,
    interleaved_schedule,
    make_ratio,
    median,
    ratio_interval,
)

TIGHT = [10.0, 10.1, 9.9, 10.05, 9.95, 10.02, 9.98, 10.0, 10.03, 9.97]
LOOSE = [10.0, 14.0, 6.0, 12.0, 8.0, 13.0, 7.0, 10.0, 11.5, 8.5]


# median


def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values() -> None:
    assert median([4.0, 1.0, 3.0, 10.0]) == 3.5


def test_the_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        median([])


# bootstrap_median_interval


def test_a_bootstrap_interval_is_centred_on_the_sample_median_and_contains_it() -> None:
    interval = bootstrap_median_interval(LOOSE)
    assert interval.median == median(LOOSE) == 10.0
    assert interval.low < interval.median < interval.high
    assert min(LOOSE) <= interval.low
    assert interval.high <= max(LOOSE)


def test_a_bootstrap_interval_is_narrower_for_tighter_data() -> None:
    tight = bootstrap_median_interval(TIGHT)
    loose = bootstrap_median_interval(LOOSE)
    assert tight.high - tight.low < 0.1
    assert loose.high - loose.low > 2.0


def test_a_bootstrap_interval_is_the_same_for_the_same_seed() -> None:
    first = bootstrap_median_interval(LOOSE, seed=7, resamples=500)
    second = bootstrap_median_interval(LOOSE, seed=7, resamples=500)
    assert first == second


def test_a_bootstrap_interval_varies_with_the_seed() -> None:
    intervals = {
        (i.low, i.high)
        for i in (bootstrap_median_interval(LOOSE, seed=seed, resamples=50) for seed in range(10))
    }
    assert len(intervals) > 1


def test_a_bootstrap_interval_of_one_sample_collapses_to_that_sample() -> None:
    assert bootstrap_median_interval([42.5]) == Interval(median=42.5, low=42.5, high=42.5)


def test_a_bootstrap_interval_of_two_samples_spans_them() -> None:
    assert bootstrap_median_interval([1.0, 3.0]) == Interval(median=2.0, low=1.0, high=3.0)


@pytest.mark.parametrize(("seed", "expected"), [(0, (10.0, 10.75)), (2, (9.0, 10.0))])
def test_a_bootstrap_interval_always_contains_the_sample_median(
    seed: int, expected: tuple[float, float]
) -> None:
    # One resample gives one bootstrap median, which is not the sample median (10.0): the
    # interval is widened to reach it.
    interval = bootstrap_median_interval(LOOSE, resamples=1, seed=seed)
    assert (interval.low, interval.high) == expected


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    narrow = bootstrap_median_interval(LOOSE, confidence=0.5)
    wide = bootstrap_median_interval(LOOSE, confidence=0.99)
    assert wide.low < narrow.low
    assert narrow.high < wide.high


@pytest.mark.parametrize(
    ("samples", "options", "message"),
    [
        ([], {}, "must not be empty"),
        ([1.0, float("nan")], {}, "must be finite"),
        ([1.0, 2.0], {"confidence": 1.0}, "confidence"),
        ([1.0, 2.0], {"resamples": 0}, "resamples"),
    ],
)
def test_a_bootstrap_interval_refuses_input_it_cannot_summarize(
    samples: list[float], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_median_interval(samples, **options)


# ratio_interval and make_ratio


def test_the_ratio_of_identical_measurements_is_exactly_one() -> None:
    assert ratio_interval(LOOSE, LOOSE) == Interval(median=1.0, low=1.0, high=1.0)


def test_a_ratio_whose_interval_spans_one_is_not_significant() -> None:
    ratio = make_ratio("orm", "core", LOOSE, LOOSE)
    assert ratio == Ratio(
        numerator="orm",
        denominator="core",
        interval=Interval(median=1.0, low=1.0, high=1.0),
        significant=False,
    )


def test_a_ratio_around_one_from_noisy_data_is_not_significant() -> None:
    numerators = [1.1, 0.9, 1.05, 0.95, 1.2, 0.85, 1.0, 1.02]
    ratio = make_ratio("orm", "core", numerators, [1.0] * len(numerators))
    assert ratio.interval.low < 1.0 < ratio.interval.high
    assert ratio.significant is False


def test_a_clear_twofold_difference_is_significant_with_an_interval_around_two() -> None:
    denominators = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    # Twice as slow in every repeat, give or take 4%.
    jitter = [1.0, 1.04, 0.96, 1.02, 0.98, 1.03, 0.97, 1.0]
    numerators = [2.0 * d * j for d, j in zip(denominators, jitter, strict=True)]
    ratio = make_ratio("orm", "core", numerators, denominators)
    assert ratio.significant is True
    assert 1.9 < ratio.interval.low < 2.0 < ratio.interval.high < 2.1
    assert ratio.interval.median == pytest.approx(2.0)


def test_a_ratio_is_taken_per_repeat_not_between_medians() -> None:
    # Each repeat is exactly twice as slow, though the repeats themselves drift a lot.
    denominators = [1.0, 10.0, 100.0]
    numerators = [2.0, 20.0, 200.0]
    assert ratio_interval(numerators, denominators) == Interval(median=2.0, low=2.0, high=2.0)


def test_a_ratio_is_the_same_for_the_same_seed() -> None:
    numerators = [2.1, 1.9, 2.3, 2.0, 1.8]
    denominators = [1.0] * 5
    first = ratio_interval(numerators, denominators, seed=3, resamples=200)
    assert first == ratio_interval(numerators, denominators, seed=3, resamples=200)


def test_a_ratio_of_mismatched_lengths_is_an_error() -> None:
    with pytest.raises(ValueError, match="paired: got 3 and 2"):
        ratio_interval([1.0, 2.0, 3.0], [1.0, 2.0])


def test_a_ratio_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        make_ratio("orm", "core", [], [])


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_a_ratio_with_a_non_positive_denominator_is_an_error(bad: float) -> None:
    with pytest.raises(ValueError, match="denominators must be positive"):
        ratio_interval([1.0, 2.0], [1.0, bad])


# interleaved_schedule


def test_a_schedule_runs_every_item_once_in_each_repeat() -> None:
    items = ["raw", "core", "orm", "floor"]
    schedule = interleaved_schedule(items, 20)
    assert len(schedule) == 20
    for order in schedule:
        assert sorted(order) == sorted(items)


def test_a_schedule_changes_the_order_between_repeats() -> None:
    schedule = interleaved_schedule(["raw", "core", "orm", "floor"], 20)
    for previous, current in zip(schedule, schedule[1:], strict=False):
        assert previous != current
    assert {order[0] for order in schedule} == {"raw", "core", "orm", "floor"}


def test_a_schedule_of_two_items_alternates_which_goes_first() -> None:
    schedule = interleaved_schedule(["orm", "core"], 6)
    firsts = [order[0] for order in schedule]
    assert firsts.count("orm") == 3
    assert firsts.count("core") == 3


def test_a_schedule_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    items = list(range(8))
    assert interleaved_schedule(items, 5, seed=1) == interleaved_schedule(items, 5, seed=1)
    assert interleaved_schedule(items, 5, seed=1) != interleaved_schedule(items, 5, seed=2)


def test_a_schedule_keeps_duplicate_items() -> None:
    schedule = interleaved_schedule(["a", "a", "b"], 3)
    assert [sorted(order) for order in schedule] == [["a", "a", "b"]] * 3


def test_a_schedule_of_no_repeats_is_empty_and_negative_repeats_are_an_error() -> None:
    assert interleaved_schedule(["a", "b"], 0) == []
    with pytest.raises(ValueError, match="repeats must not be negative"):
        interleaved_schedule(["a", "b"], -1)
