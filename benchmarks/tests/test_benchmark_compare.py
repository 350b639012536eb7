"""``benchmarks.compare``: one run's figures against an earlier run's, on typed reports.

The reports are built by hand with only the entries a comparison reads; no app, no database.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from benchmarks.compare import Change, compare_reports, format_change_table, unmatched_keys
from benchmarks.results import SCHEMA_VERSION, Interval, LoadRun, Ratio, Report, Timing


def timing(operation: str, median: float, low: float, high: float) -> Timing:
    """An orm data-layer timing on SQLite with the given interval."""
    return Timing(
        layer="data",
        backend="sqlite",
        rung="orm",
        operation=operation,
        unit="us/op",
        operations_per_sample=100,
        samples=[median],
        interval=Interval(median, low, high),
        queries_per_operation=1.0,
    )


def load_run(requests_per_s: float, p99: float, concurrency: int = 16) -> LoadRun:
    """A core get_one cell on SQLite with the given rate and p99."""
    return LoadRun(
        backend="sqlite",
        app="core",
        endpoint="get_one",
        concurrency=concurrency,
        generator="builtin",
        duration_s=10.0,
        requests=int(requests_per_s * 10),
        requests_per_s=requests_per_s,
        latency_ms={"p50": p99 / 3, "p90": p99 / 2, "p99": p99, "max": p99 * 2},
        errors=0,
        timeouts=0,
    )


def report(timings: list[Timing], load: list[LoadRun] | None = None) -> Report:
    """A report holding ``timings`` and ``load`` and nothing else."""
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="quick",
        environment={},
        settings={},
        gates=[],
        timings=timings,
        load=load or [],
        breakdown=[],
        targets=[],
        conclusions=[],
    )


def by_key(changes: list[Change]) -> dict[str, Change]:
    return {change.key: change for change in changes}


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


def test_a_cell_served_by_two_workers_is_a_figure_of_its_own_beside_the_one_worker_cell() -> None:
    one, two = load_run(1000.0, 10.0), dataclasses.replace(load_run(1500.0, 8.0), workers=2)
    full = report([], [one, two])

    changes = by_key(compare_reports(full, full))

    assert changes["load/sqlite/core/get_one/c16/requests_per_s"].new == 1000.0
    assert changes["load/sqlite/core/get_one/c16×2/requests_per_s"].new == 1500.0


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


def _with_ratio(median: float, low: float, high: float) -> Timing:
    ratio = Ratio("orm", "core", Interval(median, low, high), significant=True)
    return dataclasses.replace(timing("get_one", 100.0, 90.0, 110.0), ratios=[ratio])


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


def test_a_committed_report_read_back_compares_with_itself_figure_for_figure() -> None:
    path = Path(__file__).resolve().parents[2] / "reports" / "example" / "report.json"
    old = Report.from_json(json.loads(path.read_text(encoding="utf-8")))

    changes = compare_reports(old, Report.from_json(old.to_json()))

    assert len(changes) > len(old.timings)  # times, ratios and load figures
    assert not any(change.significant for change in changes)
    assert unmatched_keys(old, old) == ([], [])
