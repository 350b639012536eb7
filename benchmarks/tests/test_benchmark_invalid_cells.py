"""A cell whose measured window holds a status other than the operation's expected one is
invalid: shown as such with the count, never a ratio, a target met or a conclusion.

The windows here are built by hand (no server): one variant answers its DELETEs with 204
as it should, the other with a mix of 204 and 404 (the ids a warm-up had already deleted).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.charts import load_title, write_charts
from benchmarks.compare import compare_reports
from benchmarks.ladder import compared_pairs
from benchmarks.load import LoadStats
from benchmarks.report import render_markdown
from benchmarks.results import NOT_MEASURED, SCHEMA_VERSION, LoadRun, Report
from benchmarks.targets import check_targets, conclusions
from benchmarks.wire import summarize

UPPER, LOWER = compared_pairs()[0]  # orm over core


def window(requests: int, unexpected: dict[str, int], endpoint_status: int = 204) -> LoadStats:
    return LoadStats(
        generator="wrk",
        concurrency=16,
        requests=requests,
        duration_s=0.2,
        requests_per_s=requests / 0.2,
        latency_ms={"p50": 3.0, "p90": 5.0, "p99": 9.0, "max": 12.0},
        errors=0,
        timeouts=0,
        expected_status=endpoint_status,
        unexpected_statuses=unexpected,
        warmup_s=0.2,
    )


def cells(endpoint: str, upper_unexpected: dict[str, int]) -> list[LoadRun]:
    """Three repeats per app at c16; only the upper app's second window went wrong."""
    return summarize(
        "sqlite",
        {
            (LOWER, endpoint, 16, 1): [window(400, {}), window(410, {}), window(405, {})],
            (UPPER, endpoint, 16, 1): [
                window(300, {}),
                window(900, upper_unexpected),
                window(310, {}),
            ],
        },
    )


def report_of(load: list[LoadRun]) -> Report:
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="quick",
        environment={},
        settings={},
        gates=[],
        timings=[],
        load=load,
        breakdown=[],
        targets=check_targets([], load),
        conclusions=conclusions([], load),
    )


def by_app(runs: list[LoadRun]) -> dict[str, LoadRun]:
    return {run.app: run for run in runs}


def test_a_valid_pair_of_cells_is_compared() -> None:
    runs = by_app(cells("delete", {}))

    assert not runs[UPPER].invalid
    assert [r.denominator for r in runs[UPPER].ratios] == [LOWER]


def test_one_unexpected_status_makes_the_cell_invalid_and_keeps_the_count() -> None:
    runs = by_app(cells("delete", {"404": 850, "500": 1}))

    upper = runs[UPPER]
    assert upper.invalid
    assert upper.unexpected == 851
    assert upper.unexpected_statuses == {"404": 850, "500": 1}
    assert upper.unexpected_text() == "851 unexpected (404 ×850, 500 ×1)"
    assert upper.ratios == []
    assert not runs[LOWER].invalid


def test_an_invalid_cell_meets_no_target_and_says_why() -> None:
    load = cells("delete", {"404": 850})
    target = next(t for t in check_targets([], load) if "delete, c16 (sqlite)" in t.name)

    assert target.status == NOT_MEASURED
    assert target.measured == f"invalid: {UPPER} 850 unexpected (404 ×850)"


def test_an_invalid_baseline_cell_also_prevents_the_comparison() -> None:
    runs = summarize(
        "sqlite",
        {
            (LOWER, "update", 16, 1): [window(400, {"404": 3}, 200)],
            (UPPER, "update", 16, 1): [window(300, {}, 200)],
        },
    )
    target = next(t for t in check_targets([], runs) if "update, c16 (sqlite)" in t.name)

    assert all(run.ratios == [] for run in runs)
    assert (target.status, target.measured) == (
        NOT_MEASURED,
        f"invalid: {LOWER} 3 unexpected (404 ×3)",
    )


def test_a_create_cell_with_unexpected_statuses_does_not_meet_the_latency_target() -> None:
    load = cells("create", {"503": 7})
    target = next(t for t in check_targets([], load) if t.name.endswith(f"({UPPER})"))

    assert "p99" in target.goal
    assert target.status == NOT_MEASURED
    assert target.measured.startswith("invalid:")


def test_an_invalid_cell_is_no_conclusion() -> None:
    lines = conclusions([], cells("delete", {"404": 850}))

    assert lines == [
        f"sqlite, over the wire, delete at c16: no comparison, the cell is invalid: {UPPER} "
        "850 unexpected (404 ×850)."
    ]
    assert not any("significant" in line or "serves" in line for line in lines)


def test_the_report_shows_the_invalid_cell_with_its_count_and_no_rate(tmp_path: Path) -> None:
    report = report_of(cells("delete", {"404": 850}))
    charts = write_charts(report, tmp_path)

    markdown = render_markdown(report, charts)

    wire = markdown.split("## Over the wire on sqlite", 1)[1]
    assert f"| {UPPER} | delete | 16 | **invalid**: 850 unexpected (404 ×850) |" in wire
    assert f"| {LOWER} | delete | 16 | 2,020 |" in wire
    assert "1 cell(s) answered a status other than the operation's expected one" in wire
    targets = markdown.split("## Targets", 1)[1].split("\n## ", 1)[0]
    assert "invalid: orm 850 unexpected (404 ×850)" in targets
    assert "✅" not in targets
    conclusions_section = markdown.split("## Conclusions", 1)[1]
    assert "no comparison, the cell is invalid" in conclusions_section
    assert load_title("sqlite") in charts  # drawn from the valid cell only


def test_an_invalid_cell_is_left_out_of_the_load_chart_and_comparisons(tmp_path: Path) -> None:
    only_invalid = [run for run in cells("delete", {"404": 1}) if run.invalid]

    assert write_charts(report_of(only_invalid), tmp_path) == {}
    old = report_of(cells("delete", {}))
    new = report_of(cells("delete", {"404": 1}))
    keys = {change.key for change in compare_reports(old, new)}
    assert not any(f"/{UPPER}/delete/" in key for key in keys)
    assert any(f"/{LOWER}/delete/" in key for key in keys)


@pytest.mark.parametrize("unexpected", [{}, {"404": 2}])
def test_the_window_and_warm_up_that_ran_are_recorded_per_cell(
    unexpected: dict[str, int],
) -> None:
    upper = by_app(cells("delete", unexpected))[UPPER]

    assert upper.window_s == [0.2, 0.2, 0.2]
    assert upper.warmup_s == 0.2
    assert upper.repeats == 3


def test_a_cell_of_two_workers_is_compared_with_one_process_of_the_same_app() -> None:
    runs = summarize(
        "sqlite",
        {
            (LOWER, "get_one", 16, 1): [window(400, {}, 200), window(420, {}, 200)],
            (LOWER, "get_one", 16, 2): [window(600, {}, 200), window(640, {}, 200)],
            (UPPER, "get_one", 16, 1): [window(300, {}, 200), window(310, {}, 200)],
        },
    )
    two = next(run for run in runs if run.workers == 2)

    assert [(r.numerator, r.denominator) for r in two.ratios] == [(f"{LOWER}×2", f"{LOWER}×1")]
    assert two.ratios[0].interval.median == pytest.approx(1.5, rel=0.05)
    # targets and conclusions judge single processes only
    assert all("×2" not in line for line in conclusions([], runs))
    markdown = render_markdown(report_of(runs), {})
    assert f"| {LOWER} ×2 workers | get_one | 16 | 3,100 ({LOWER}×2/{LOWER}×1 1.5" in markdown
