"""The benchmark's statistics: medians, bootstrap intervals, paired ratios, run comparisons.

These are plain functions of numbers, so the tests need no app and no database.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.results import Interval, Ratio
from benchmarks.stats import (
    Change,
    bootstrap_median_interval,
    compare_reports,
    format_change_table,
    interleaved_schedule,
    make_ratio,
    median,
    ratio_interval,
    unmatched_keys,
)

TIGHT = [10.0, 10.1, 9.9, 10.05, 9.95, 10.02, 9.98, 10.0, 10.03, 9.97]
LOOSE = [10.0, 14.0, 6.0, 12.0, 8.0, 13.0, 7.0, 10.0, 11.5, 8.5]


def timing(operation: str, median: float, low: float, high: float) -> dict[str, Any]:
    """A timing entry shaped like ``Timing`` in ``report.json``."""
    return {
        "layer": "data",
        "backend": "sqlite",
        "rung": "orm",
        "operation": operation,
        "unit": "us/op",
        "operations_per_sample": 100,
        "samples": [median],
        "interval": {"median": median, "low": low, "high": high},
        "queries_per_operation": 1.0,
        "ratios": [],
    }


def load_run(requests_per_s: float, p99: float, concurrency: int = 16) -> dict[str, Any]:
    """A load entry shaped like ``LoadRun`` in ``report.json``."""
    return {
        "backend": "sqlite",
        "app": "core",
        "endpoint": "get_one",
        "concurrency": concurrency,
        "generator": "builtin",
        "duration_s": 10.0,
        "requests": int(requests_per_s * 10),
        "requests_per_s": requests_per_s,
        "latency_ms": {"p50": p99 / 3, "p90": p99 / 2, "p99": p99, "max": p99 * 2},
        "errors": 0,
        "timeouts": 0,
    }


def report(
    timings: list[dict[str, Any]], load: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The parts of a ``report.json`` that a comparison reads."""
    return {"schema_version": 1, "timings": timings, "load": load or []}


def by_key(changes: list[Change]) -> dict[str, Change]:
    return {change.key: change for change in changes}


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


# compare_reports and unmatched_keys


def test_a_slower_timing_whose_intervals_do_not_overlap_is_a_regression() -> None:
    old = report([timing("get_one", 100.0, 95.0, 105.0)])
    new = report([timing("get_one", 150.0, 140.0, 160.0)])
    assert compare_reports(old, new) == [
        Change(
            key="data/sqlite/orm/get_one",
            old=100.0,
            new=150.0,
            change=0.5,
            significant=True,
            regression=True,
        )
    ]


def test_a_faster_timing_whose_intervals_do_not_overlap_is_a_significant_improvement() -> None:
    old = report([timing("get_one", 100.0, 95.0, 105.0)])
    new = report([timing("get_one", 80.0, 75.0, 85.0)])
    [change] = compare_reports(old, new)
    assert change.significant is True
    assert change.regression is False
    assert change.change == pytest.approx(-0.2)


@pytest.mark.parametrize(
    ("low", "high"),
    [(104.0, 120.0), (105.0, 120.0), (80.0, 96.0)],
    ids=["overlapping", "touching", "overlapping-below"],
)
def test_a_timing_whose_intervals_overlap_is_not_significant(low: float, high: float) -> None:
    old = report([timing("get_one", 100.0, 95.0, 105.0)])
    new = report([timing("get_one", (low + high) / 2, low, high)])
    [change] = compare_reports(old, new)
    assert change.significant is False
    assert change.regression is False


def test_load_throughput_lower_by_more_than_ten_percent_is_a_regression() -> None:
    old = report([], [load_run(1000.0, 10.0)])
    new = report([], [load_run(880.0, 10.0)])
    changes = by_key(compare_reports(old, new))
    throughput = changes["load/sqlite/core/get_one/c16/requests_per_s"]
    assert (throughput.old, throughput.new) == (1000.0, 880.0)
    assert throughput.change == pytest.approx(-0.12)
    assert (throughput.significant, throughput.regression) == (True, True)
    p99 = changes["load/sqlite/core/get_one/c16/p99_ms"]
    assert (p99.change, p99.significant, p99.regression) == (0.0, False, False)


def test_load_throughput_lower_by_less_than_ten_percent_is_within_the_noise() -> None:
    old = report([], [load_run(1000.0, 10.0)])
    new = report([], [load_run(910.0, 10.0)])
    throughput = by_key(compare_reports(old, new))["load/sqlite/core/get_one/c16/requests_per_s"]
    assert (throughput.significant, throughput.regression) == (False, False)


def test_load_p99_higher_by_more_than_a_quarter_is_a_regression() -> None:
    old = report([], [load_run(1000.0, 10.0)])
    new = report([], [load_run(1000.0, 13.0)])
    p99 = by_key(compare_reports(old, new))["load/sqlite/core/get_one/c16/p99_ms"]
    assert p99.change == pytest.approx(0.3)
    assert (p99.significant, p99.regression) == (True, True)


def test_load_p99_higher_by_less_than_a_quarter_is_within_the_noise() -> None:
    old = report([], [load_run(1000.0, 10.0)])
    new = report([], [load_run(1000.0, 12.0)])
    p99 = by_key(compare_reports(old, new))["load/sqlite/core/get_one/c16/p99_ms"]
    assert (p99.significant, p99.regression) == (False, False)


def test_load_throughput_higher_by_more_than_ten_percent_is_a_significant_improvement() -> None:
    old = report([], [load_run(1000.0, 10.0)])
    new = report([], [load_run(1200.0, 10.0)])
    throughput = by_key(compare_reports(old, new))["load/sqlite/core/get_one/c16/requests_per_s"]
    assert (throughput.significant, throughput.regression) == (True, False)


def test_only_figures_present_in_both_runs_are_compared_and_the_rest_are_listed() -> None:
    old = report(
        [timing("get_one", 100.0, 95.0, 105.0), timing("delete", 50.0, 45.0, 55.0)],
        [load_run(1000.0, 10.0, concurrency=16)],
    )
    new = report(
        [timing("get_one", 100.0, 95.0, 105.0), timing("list", 70.0, 65.0, 75.0)],
        [load_run(1000.0, 10.0, concurrency=64)],
    )
    assert [change.key for change in compare_reports(old, new)] == ["data/sqlite/orm/get_one"]
    assert unmatched_keys(old, new) == (
        [
            "data/sqlite/orm/delete",
            "load/sqlite/core/get_one/c16/requests_per_s",
            "load/sqlite/core/get_one/c16/p99_ms",
        ],
        [
            "data/sqlite/orm/list",
            "load/sqlite/core/get_one/c64/requests_per_s",
            "load/sqlite/core/get_one/c64/p99_ms",
        ],
    )


def test_identical_reports_match_completely_and_change_nothing() -> None:
    same = report([timing("get_one", 100.0, 95.0, 105.0)], [load_run(1000.0, 10.0)])
    changes = compare_reports(same, same)
    assert len(changes) == 3
    assert all(c.change == 0.0 and not c.significant and not c.regression for c in changes)
    assert unmatched_keys(same, same) == ([], [])


def test_a_report_with_the_same_figure_twice_is_an_error() -> None:
    twice = report([timing("get_one", 100.0, 95.0, 105.0)] * 2)
    with pytest.raises(ValueError, match="appears twice"):
        compare_reports(twice, report([]))


# format_change_table


def test_a_change_table_flags_regressions_improvements_and_noise() -> None:
    changes = [
        Change("data/sqlite/orm/get_one", 100.0, 150.0, 0.5, True, True),
        Change("data/sqlite/orm/list", 100.0, 80.0, -0.2, True, False),
        Change("load/sqlite/core/get_one/c16/requests_per_s", 1000.0, 1200.0, 0.2, True, False),
        Change("data/sqlite/orm/delete", 100.0, 101.0, 0.01, False, False),
    ]
    lines = format_change_table(changes).splitlines()
    assert len(lines) == 5
    assert lines[0].split() == ["figure", "old", "new", "change", "verdict"]
    assert lines[1].split() == [
        "data/sqlite/orm/get_one",
        "100.00",
        "150.00",
        "+50.0%",
        "REGRESSION",
    ]
    assert lines[2].split() == ["data/sqlite/orm/list", "100.00", "80.00", "-20.0%", "faster"]
    assert lines[3].split() == [
        "load/sqlite/core/get_one/c16/requests_per_s",
        "1,000",
        "1,200",
        "+20.0%",
        "better",
    ]
    assert lines[4].split() == ["data/sqlite/orm/delete", "100.00", "101.00", "+1.0%", "~"]


def test_a_change_table_of_a_real_comparison_names_the_regression() -> None:
    old = report([timing("get_one", 100.0, 95.0, 105.0)])
    new = report([timing("get_one", 150.0, 140.0, 160.0)])
    table = format_change_table(compare_reports(old, new))
    assert "REGRESSION" in table
    assert "data/sqlite/orm/get_one" in table


def _with_ratio(median: float, low: float, high: float) -> dict[str, Any]:
    entry = timing("get_one", 100.0, 90.0, 110.0)
    entry["ratios"] = [
        {
            "numerator": "orm",
            "denominator": "core",
            "interval": {"median": median, "low": low, "high": high},
            "significant": True,
        }
    ]
    return entry


def test_a_ratio_that_grew_beyond_its_interval_is_compared_and_flagged() -> None:
    changes = by_key(
        compare_reports(report([_with_ratio(2.0, 1.9, 2.1)]), report([_with_ratio(2.6, 2.5, 2.7)]))
    )
    ratio = changes["data/sqlite/orm÷core/get_one"]
    assert ratio.old == 2.0
    assert ratio.new == 2.6
    assert ratio.regression
    assert not changes["data/sqlite/orm/get_one"].significant


def test_a_ratio_within_its_interval_is_not_significant() -> None:
    changes = by_key(
        compare_reports(report([_with_ratio(2.0, 1.8, 2.2)]), report([_with_ratio(2.1, 1.9, 2.3)]))
    )
    assert not changes["data/sqlite/orm÷core/get_one"].significant
