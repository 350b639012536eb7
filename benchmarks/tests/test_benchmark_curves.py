"""The cost curves: time = fixed + per-row × rows, fitted per rung with intervals.

The fit is checked on purpose-built data whose intercept and slope are known; a fit that
cannot be made (one size) must come out as not measured, never as a number. The new sized
operations must send the statements their baseline sends (or declare more), and the report
must carry the section and its chart.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.curve_charts import curves_title
from benchmarks.curves import cost_curves, fit_difference, fit_line, fit_repeats
from benchmarks.data_layer import queries_per_operation
from benchmarks.database import BenchDatabase
from benchmarks.gates import query_count_gate
from benchmarks.registry import OPERATIONS, load_rungs, series_operations
from benchmarks.report import render_markdown, split_rungs, write_report
from benchmarks.results import Interval, Timing
from benchmarks.tests.test_benchmark_report import sample_report

SIZES = (1, 10, 100, 1000)
NOISE = (0.97, 1.0, 1.03, 0.99, 1.01, 0.98, 1.02)
"""Per-repeat factors: the same machine state slows every size of a repeat alike (drift),
each size a little differently (jitter, below)."""


def line_samples(fixed: float, per_row: float) -> dict[int, list[float]]:
    """Per-repeat times of ``fixed + per_row × rows``, with drift and a small jitter."""
    return {
        size: [
            (fixed + per_row * size) * drift * (1 + 0.002 * ((size + repeat) % 3 - 1))
            for repeat, drift in enumerate(NOISE)
        ]
        for size in SIZES
    }


def test_an_exact_line_is_recovered_exactly() -> None:
    line = fit_line(SIZES, [50 + 2 * n for n in SIZES], [1, 1, 1, 1])
    assert line.fixed == pytest.approx(50)
    assert line.per_row == pytest.approx(2)


def test_the_fit_finds_a_known_intercept_and_slope_inside_its_intervals() -> None:
    fit = cost_curves(timings_of("data", "orm", line_samples(fixed=120.0, per_row=5.5)))[0]
    assert fit.fixed_us is not None and fit.per_row_us is not None
    assert fit.fixed_us.low <= 120.0 <= fit.fixed_us.high
    assert fit.per_row_us.low <= 5.5 <= fit.per_row_us.high
    assert fit.fixed_us.median == pytest.approx(120.0, rel=0.03)
    assert fit.per_row_us.median == pytest.approx(5.5, rel=0.03)
    assert len(fit.fixed_samples) == len(NOISE)  # one fit per repeat
    assert fit.worst_residual is not None and fit.worst_residual < 0.01
    assert not fit.not_measured


def test_the_weighted_fit_keeps_a_large_sizes_noise_out_of_the_fixed_cost() -> None:
    """One per cent too slow on a thousand rows is 200 µs here: an unweighted line moves its
    100 µs intercept by 6 µs; weighted by 1/time², each size counts by its relative error and
    the intercept stays within half a µs."""
    sizes = (1, 10, 20, 100, 1000)
    times = [100.0 + 20 * n for n in sizes]
    times[-1] *= 1.01
    weighted = fit_line(sizes, times, [1 / t**2 for t in times])
    unweighted = fit_line(sizes, times, [1] * len(sizes))
    assert abs(weighted.fixed - 100) < 0.5
    assert abs(unweighted.fixed - 100) > 5.0


def test_one_size_only_is_not_measured_not_a_number() -> None:
    fit = fit_repeats({1000: [20_000.0, 20_100.0, 19_900.0]})
    assert fit.reason.startswith("one size only (1,000 rows)")
    assert fit.fixed == [] and fit.per_row == []
    curve = cost_curves(timings_of("data", "orm+yield_per", {1000: [20_000.0, 20_100.0]}))[0]
    assert curve.fixed_us is None and curve.per_row_us is None
    assert curve.not_measured.startswith("one size only")
    with pytest.raises(ValueError, match="two distinct sizes"):
        fit_line([10, 10], [1.0, 2.0], [1.0, 1.0])


def test_repeats_that_do_not_pair_are_not_measured() -> None:
    fit = fit_repeats({1: [10.0, 11.0], 100: [200.0]})
    assert fit.reason == "the sizes' repeats do not pair"


def test_the_difference_of_two_fits_is_paired_by_repeat() -> None:
    upper = cost_curves(timings_of("data", "orm", line_samples(300.0, 12.0)))[0]
    lower = cost_curves(timings_of("data", "core", line_samples(100.0, 8.0)))[0]
    found = fit_difference(upper, lower)
    assert found is not None
    fixed, per_row = found
    assert fixed.low <= 200.0 <= fixed.high and fixed.median == pytest.approx(200, rel=0.03)
    assert per_row.low <= 4.0 <= per_row.high
    lonely = dataclasses.replace(lower, fixed_samples=lower.fixed_samples[:2])
    assert fit_difference(upper, lonely) is None


def timings_of(layer: str, rung: str, samples: dict[int, list[float]]) -> list[Timing]:
    """One Timing per list size (``list_<rows>``) with these samples."""
    timings = []
    for rows, values in samples.items():
        ordered = sorted(values)
        middle = ordered[len(ordered) // 2]
        interval = Interval(middle, ordered[0], ordered[-1])
        timings.append(
            Timing(layer, "sqlite", rung, f"list_{rows}", "us/op", 10, values, interval, 1)
        )
    return timings


def test_every_size_of_both_series_is_an_operation_of_the_registry() -> None:
    assert [OPERATIONS[name].rows for name in series_operations("list")] == [1, 10, 20, 100, 1000]
    assert series_operations("insert") == ("insert_1", "insert_10", "insert_100", "seed_1000")
    assert all(OPERATIONS[name].http is None for name in series_operations("insert"))
    assert OPERATIONS["list_100"].http is not None
    assert OPERATIONS["list_100"].http.path == "/todos?limit=100"


LIST_STATEMENTS = {
    "raw": 1,
    "raw-async": 1,
    "raw-async+psycopg": 1,
    "core": 1,
    "core-async": 1,
    "core-async+psycopg": 1,
    "orm-async": 2,
    "core+kept_open": 1,
    "orm": 2,
    "orm+kept_open": 2,
    "orm+columns": 2,
    "orm+joinedload": 1,
    "orm+subqueryload": 2,
    "core+two_statements": 2,
}
"""Statements per list of up to 500 todos, per rung: hand-written SQL aggregates the tags
into the page's one SELECT; the ORM loads them with a second one (selectinload), and so do
the columns knob (the page's tags as rows), subqueryload and Core's two-statement rung;
joinedload joins them into the page's. ``orm+lazy`` sends one per todo more (below)."""


def list_statements(rung: str, rows: int) -> int:
    """What ``rung`` sends for a list of ``rows`` todos (N+1 for lazyload)."""
    return 1 + rows if rung == "orm+lazy" else LIST_STATEMENTS[rung]


def test_the_sized_operations_send_their_baselines_statements(bench: BenchDatabase) -> None:
    """Every list sends the statements of ``LIST_STATEMENTS`` on its rung (kept open or not);
    every bulk insert one executemany, except the ORM's add_all, which declares up to one
    INSERT per row. A rung that implements a list and is missing from the table fails."""
    rungs = load_rungs()
    timings = []
    for rung in rungs.values():
        for operation in (*series_operations("list"), *series_operations("insert")):
            if operation in ("list_1000", "seed_1000") or operation not in rung.implementations:
                continue  # the thousand-row ones are counted by the harness's own tests
            if not rung.runs_on(bench.backend):
                continue  # raw-async+psycopg and core-async+psycopg: PostgreSQL only
            count = queries_per_operation(bench, rung, operation)
            add_all = rung.name in ("orm", "orm-async") and OPERATIONS[operation].series == "insert"
            if OPERATIONS[operation].series == "list":
                expected = list_statements(rung.name, OPERATIONS[operation].rows)
            else:
                expected = OPERATIONS[operation].rows if add_all else 1
            if bench.backend != "sqlite" and add_all:  # may batch the INSERTs
                assert 1 <= count <= expected, (rung.name, operation)
            else:
                assert count == expected, (rung.name, operation)
            interval = Interval(1.0, 1.0, 1.0)
            timings.append(
                Timing(
                    "data", bench.backend, rung.name, operation, "us/op", 1, [1.0], interval, count
                )  # fmt: skip
            )
    gate = query_count_gate(timings, bench.backend, rungs)
    assert gate.passed, gate.detail


def test_the_report_has_the_cost_section_its_table_and_its_chart(tmp_path: Path) -> None:
    report = sample_report()
    report.timings = [
        *timings_of("data", "raw", line_samples(20.0, 3.0)),
        *timings_of("data", "core", line_samples(100.0, 8.0)),
        *timings_of("data", "orm", line_samples(300.0, 12.0)),
        *timings_of("data", "orm+yield_per", {1000: line_samples(300.0, 12.0)[1000]}),
    ]
    report.curves = cost_curves(report.timings)
    paths = write_report(report, tmp_path)
    assert "curves-sqlite.png" in [path.name for path in paths]
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## How cost grows with rows on sqlite", 1)[1].split("\n## ", 1)[0]
    assert "time = fixed + per-row × rows" in section
    assert "| data layer | list N rows | orm | 1, 10, 100, 1,000 | 301 [" in section
    assert "| orm+yield_per | 1,000 | not measured: one size only" in section
    assert "| data layer | list N rows | orm − core | 200 [" in section
    assert "no bulk insert endpoint" in section
    assert f"![{curves_title('sqlite')}](curves-sqlite.png)" in section
    assert (
        "Fitting time = fixed + per-row × rows over lists of 1–1,000 rows, the orm adds 200 ["
        in markdown
    )
    no_curves = dataclasses.replace(report, curves=[])
    assert "How cost grows" not in render_markdown(no_curves, {})


def test_the_kept_open_rungs_get_a_table_of_their_own_beside_their_variants() -> None:
    rungs = ["raw", "core", "orm", "core+kept_open", "orm+columns", "orm+kept_open"]
    assert split_rungs(rungs) == [
        ["raw", "core", "orm"],
        ["orm", "orm+columns"],
        ["core", "core+kept_open", "orm", "orm+kept_open"],
    ]
