"""``benchmarks.report`` and ``benchmarks.charts``: a synthetic Report rendered to disk.

These tests take no ``app_kind``/``backend`` fixture, so they run once whatever is selected.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from rich.console import Console

from benchmarks.charts import ladder_title, load_series, load_title, write_charts
from benchmarks.formatting import format_count, format_us, format_wire_ratio
from benchmarks.report import render_markdown, write_report
from benchmarks.results import (
    SCHEMA_VERSION,
    Breakdown,
    BreakdownPart,
    Gate,
    Interval,
    LoadRun,
    Ratio,
    Report,
    Target,
    Timing,
)
from benchmarks.terminal import WIDTH, print_summary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_LINK = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")


def ratio(numerator: str, denominator: str, median: float, low: float, high: float) -> Ratio:
    return Ratio(numerator, denominator, Interval(median, low, high), not low <= 1.0 <= high)


def timing(
    layer: str,
    rung: str,
    operation: str,
    median: float,
    queries: float | None,
    ratios: list[Ratio] | None = None,
) -> Timing:
    """A timing whose samples spread ±3% around ``median`` and whose interval is ±2%."""
    samples = [median * factor for factor in (0.97, 0.99, 1.0, 1.01, 1.03)]
    return Timing(
        layer=layer,
        backend="sqlite",
        rung=rung,
        operation=operation,
        unit="us/op",
        operations_per_sample=1000,
        samples=samples,
        interval=Interval(median, median * 0.98, median * 1.02),
        queries_per_operation=queries,
        ratios=ratios or [],
    )


def data_timings() -> list[Timing]:
    return [
        timing("data", "raw", "get_one", 8.1, 1),
        timing("data", "core", "get_one", 21.4, 1, [ratio("core", "raw", 2.64, 2.5, 2.8)]),
        timing("data", "orm", "get_one", 45.2, 1, [ratio("orm", "core", 2.11, 2.0, 2.2)]),
        timing(
            "data",
            "orm+expire_on_commit",
            "get_one",
            44.9,
            1,
            [ratio("orm+expire_on_commit", "orm", 0.99, 0.97, 1.02)],
        ),
        timing("data", "raw", "list_20", 31.0, 1),
        timing("data", "core", "list_20", 62.0, 1, [ratio("core", "raw", 2.0, 1.9, 2.1)]),
        timing("data", "orm", "list_20", 1234.0, 1, [ratio("orm", "core", 19.9, 18.7, 21.0)]),
        timing(
            "data",
            "orm+expire_on_commit",
            "list_20",
            240.0,
            3,
            [ratio("orm+expire_on_commit", "orm", 0.19, 0.18, 0.2)],
        ),
    ]


def asgi_timings() -> list[Timing]:
    timings = []
    for operation, floor in (("get_one", 60.0), ("list_20", 75.0)):
        timings += [
            timing("asgi", "floor", operation, floor, None),
            timing(
                "asgi", "core", operation, floor * 1.6, 1, [ratio("core", "floor", 1.6, 1.5, 1.7)]
            ),
            timing(
                "asgi", "orm", operation, floor * 2.2, 1, [ratio("orm", "core", 1.38, 1.3, 1.45)]
            ),
        ]
    return timings


def load_run(
    app: str, concurrency: int, requests_per_s: float, cpu_us: float | None = None
) -> LoadRun:
    return LoadRun(
        backend="sqlite",
        app=app,
        endpoint="get_one",
        concurrency=concurrency,
        generator="wrk",
        duration_s=10.0,
        requests=int(requests_per_s * 10),
        requests_per_s=requests_per_s,
        latency_ms={"p50": 1.2, "p90": 2.5, "p99": 4.75, "max": 12.0},
        errors=0,
        timeouts=2,
        window_s=[2.0] * 5,
        warmup_s=0.5,
        cpu_us_per_request=cpu_us,
    )


def sample_report() -> Report:
    """One backend, two operations, a full ladder, one gate failing, one breakdown item."""
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2025-06-01T12:00:00+00:00",
        profile="quick",
        environment={"python": "3.11.9", "cpu": {"model": "Xeon E5", "cores": 8}},
        settings={"repeats": 7, "warmups": 2, "rows": 20},
        gates=[
            Gate("same responses", True, "orm and core answer identically"),
            Gate("same query counts", False, "orm sends 3 statements for list_20, core 1"),
        ],
        timings=data_timings() + asgi_timings(),
        load=[
            load_run("core", 8, 5230.0, cpu_us=180.0),
            dataclasses.replace(
                load_run("orm", 8, 3120.0, cpu_us=290.0),
                ratios=[ratio("orm", "core", 0.6, 0.55, 0.66)],
                cpu_ratios=[ratio("orm", "core", 1.61, 1.5, 1.7)],
            ),
        ],
        breakdown=[
            Breakdown(
                backend="sqlite",
                operation="get_one",
                gap="orm − core",
                gap_us=23.8,
                parts=[
                    BreakdownPart("Session setup", 9.5, "cProfile"),
                    BreakdownPart("row to object", 8.2, "orm+columns"),
                    BreakdownPart(
                        "pydantic validation",
                        -2.0,
                        "cProfile",
                        note="core spends 2 µs more here than orm",
                    ),
                ],
                unexplained_us=8.1,
            )
        ],
        targets=[
            Target("orm/core on get_one", "≤ 2.5×", "2.11×", "met"),
            Target("orm/core on list_20", "≤ 3×", "19.9×", "missed"),
            Target("orm/core on list_1000", "≤ 3×", "2.90 [2.50–3.40]", "not significant"),
            Target("orm/core on postgresql", "≤ 2×", "not measured", "not measured"),
        ],
        conclusions=["The ORM costs 24 µs per single-row read.", "expire_on_commit is free."],
    )


class Written(NamedTuple):
    """What ``write_report`` produced for ``sample_report()``."""

    out: Path
    paths: list[Path]
    markdown: str


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """The report written once per module: drawing the charts takes about a second."""
    out = tmp_path_factory.mktemp("report")
    paths = write_report(sample_report(), out)
    return Written(out, paths, (out / "report.md").read_text(encoding="utf-8"))


def row_of(markdown: str, heading: str, first_cell: str) -> str:
    """The table row starting with ``first_cell`` in the first table after ``heading``."""
    section = markdown.split(heading, 1)[1]
    return next(line for line in section.splitlines() if line.startswith(f"| {first_cell} |"))


def test_write_report_returns_the_json_the_markdown_the_page_and_every_chart(
    written: Written,
) -> None:
    paths, out = written.paths, written.out
    assert [p.name for p in paths] == [
        "report.json",
        "report.md",
        "report.html",
        "ladder-data-sqlite.png",
        "ladder-asgi-sqlite.png",
        "load-sqlite.png",
    ]
    assert all(p.parent == out and p.is_file() for p in paths)


def test_report_json_round_trips_to_the_reports_own_json(written: Written) -> None:
    text = (written.out / "report.json").read_text(encoding="utf-8")
    assert json.loads(text) == sample_report().to_json()
    assert text.startswith('{\n  "breakdown": ')  # keys sorted, indented by 2


def test_report_md_has_every_section_in_order(written: Written) -> None:
    markdown = written.markdown
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [
        "# ORM vs SQL: benchmark report",
        "## The answer",
        "## Targets",
        "## Gates",
        "## Data layer on sqlite",
        "## Whole app in process (ASGI) on sqlite",
        "## Over the wire on sqlite",
        "## Where the time goes",
        "### sqlite · get_one: orm − core = 23.8 µs",
        "## Conclusions in detail",
        "## Method",
        "## Environment",
    ]


def test_the_answer_comes_first_with_its_terms_defined(written: Written) -> None:
    answer = written.markdown.split("## The answer", 1)[1].split("\n## ", 1)[0]
    assert "**A gate FAILED (same query counts)" in answer
    assert "in process" in answer and "µs more than through the core app" in answer
    for term in ("*layer*", "*rung*", "*floor*", "*ratio*", "*interval*"):
        assert term in answer


def test_no_emoji_marks_anywhere_in_the_report(written: Written) -> None:
    for mark in ("✅", "❌", "⚠"):
        assert mark not in written.markdown


def test_environment_flattens_nested_dicts_and_lists_settings(
    written: Written,
) -> None:
    markdown = written.markdown
    assert "| cpu.model | Xeon E5 |" in markdown
    assert "| cpu.cores | 8 |" in markdown
    assert "| repeats | 7 |" in markdown


def test_each_operation_shows_every_rung_as_median_and_interval_in_ladder_order(
    written: Written,
) -> None:
    markdown = written.markdown
    data = "## Data layer on sqlite"
    header = "| µs per operation | raw | core | orm |"
    assert header in markdown.split(data, 1)[1]
    assert row_of(markdown, data, "get_one") == (
        "| get_one | 8.10 [7.94–8.26] | 21.4 [21.0–21.8] | 45.2 [44.3–46.1] |"
    )
    assert row_of(markdown, data, "list_20").startswith("| list_20 | 31.0 [30.4–31.6] |")
    assert row_of(markdown, data, "list_20").endswith("| 1,230 [1,210–1,260] |")
    knobs = "The knobs on orm, each against orm as shipped:"
    assert "| µs per operation | orm | orm+expire_on_commit |" in markdown.split(knobs, 1)[1]
    assert row_of(markdown, knobs, "get_one") == "| get_one | 45.2 [44.3–46.1] | 44.9 [44.0–45.8] |"
    asgi = "## Whole app in process (ASGI)"
    assert "| µs per operation | floor | core | orm |" in markdown.split(asgi, 1)[1]


def test_a_ratio_whose_interval_includes_one_is_marked_not_significant(
    written: Written,
) -> None:
    markdown = written.markdown
    data = "## Data layer on sqlite"
    ratios = markdown.split(data, 1)[1]
    assert "| ratio | core/raw | orm/core |" in ratios
    assert (
        row_of(ratios, "Ratios:", "get_one")
        == "| get_one | 2.64× [2.50–2.80] | 2.11× [2.00–2.20] |"
    )
    knobs = ratios.split("The knobs on orm", 1)[1]
    assert row_of(knobs, "Ratios:", "get_one") == "| get_one | 0.99× [0.97–1.02] n.s. |"
    assert row_of(knobs, "Ratios:", "list_20") == "| list_20 | 0.19× [0.18–0.20] |"
    assert markdown.count("n.s.") == 3  # the one ratio, its definition and the method's


def test_a_query_count_that_differs_from_core_is_flagged(
    written: Written,
) -> None:
    markdown = written.markdown
    queries = markdown.split("## Data layer on sqlite", 1)[1]
    heading = "SQL statements sent per operation:"
    assert row_of(queries, heading, "get_one") == "| get_one | 1 | 1 | 1 |"
    knobs = queries.split("The knobs on orm", 1)[1]
    assert row_of(knobs, heading, "get_one") == "| get_one | 1 | 1 |"
    assert row_of(knobs, heading, "list_20") == "| list_20 | 1 | 3 (+2 vs orm) |"
    asgi = markdown.split("## Whole app in process (ASGI) on sqlite", 1)[1]
    assert row_of(asgi, heading, "get_one") == "| get_one | — | 1 | 1 |"


def test_a_failing_gate_is_named_and_its_apps_figures_said_to_be_withheld(
    written: Written,
) -> None:
    markdown = written.markdown
    gates = markdown.split("## Gates", 1)[1]
    assert "| same responses | passed | orm and core answer identically |" in gates
    assert "| same query counts | FAILED | orm sends 3 statements for list_20, core 1 |" in gates
    bold = "**Failed: same query counts. Figures of the failing app are not reported.**"
    assert bold in gates


def test_load_runs_are_tabulated_with_the_generator_named(
    written: Written,
) -> None:
    markdown = written.markdown
    wire = markdown.split("## Over the wire on sqlite", 1)[1]
    assert "| app | endpoint | concurrency | requests/s | server CPU µs/request | p50 ms |" in wire
    assert "| errors | unexpected statuses | timeouts | windows (+warm-up) |" in wire
    row = "| 1.20 | 2.50 | 4.75 | 12.0 | 0 | 0 | 2 | 5 × 2.00 s (+0.50 s) |"
    assert f"| core | get_one | 8 | 5,230 | 180 {row}" in wire
    assert f"| orm | get_one | 8 | 3,120 | 290 {row}" in wire
    assert "invalid" not in wire
    assert "Load generator: wrk." in wire


def test_each_wire_ratio_stands_beside_its_cpu_per_request_ratio(written: Written) -> None:
    wire = written.markdown.split("## Over the wire on sqlite", 1)[1]
    assert "| ratio | endpoint | concurrency | requests/s | server CPU per request |" in wire
    assert "| orm/core | get_one | 8 | 0.60× [0.55–0.66] | 1.61× [1.50–1.70] |" in wire
    assert "prediction* interval for another run" in wire


def test_a_wire_ratio_too_wide_to_mean_a_figure_says_so_in_words() -> None:
    wide = ratio("orm", "core", 0.9, 0.6, 1.3)
    narrow = ratio("orm", "core", 0.9, 0.85, 0.95)

    unpinned = "0.90× [0.60–1.30] n.s. (cannot be pinned down on this machine)"
    assert format_wire_ratio(wide) == unpinned
    assert format_wire_ratio(narrow) == "0.90× [0.85–0.95]"


def test_the_breakdown_gives_each_parts_share_and_the_explained_fraction(
    written: Written,
) -> None:
    markdown = written.markdown
    where = markdown.split("## Where the time goes", 1)[1]
    assert "| Session setup | 9.50 | 40% | cProfile |" in where
    assert "| row to object | 8.20 | 34% | orm+columns |" in where
    assert "the parts sum to 66% of the gap; unexplained: 8.10 µs" in where


def test_a_negative_part_of_the_breakdown_is_an_offset_said_in_words(written: Written) -> None:
    where = written.markdown.split("## Where the time goes", 1)[1].split("\n## ", 1)[0]
    assert "| pydantic validation | -2.00 | offsets 8% (see below) | cProfile |" in where
    assert "- pydantic validation: core spends 2 µs more here than orm." in where
    shares = [line.split(" | ")[2] for line in where.splitlines() if line.startswith("| ")]
    assert not [cell for cell in shares if cell.startswith(("-", "−"))]


def test_targets_show_met_missed_and_not_measured(written: Written) -> None:
    markdown = written.markdown
    targets = markdown.split("## Targets", 1)[1]
    assert "| orm/core on get_one | ≤ 2.5× | 2.11× | met |" in targets
    assert "| orm/core on list_20 | ≤ 3× | 19.9× | missed |" in targets
    assert "| orm/core on list_1000 | ≤ 3× | 2.90 [2.50–3.40] | not significant |" in targets
    assert "| orm/core on postgresql | ≤ 2× | not measured | not measured |" in targets
    assert "In all: 1 met, 1 missed, 1 not significant, 1 not measured." in targets


def test_conclusions_follow_the_figures_and_method_and_environment_end_it(
    written: Written,
) -> None:
    markdown = written.markdown
    assert (
        "## Conclusions in detail\n\n- The ORM costs 24 µs per single-row read.\n"
        "- expire_on_commit is free.\n\n## Method\n"
    ) in markdown
    assert markdown.index("## Environment") > markdown.index("## Method")


def test_every_chart_is_linked_at_the_end_of_its_section_and_is_a_png(written: Written) -> None:
    markdown = written.markdown
    links = IMAGE_LINK.findall(markdown)
    assert links == [
        (ladder_title("sqlite", "data"), "ladder-data-sqlite.png"),
        (ladder_title("sqlite", "asgi"), "ladder-asgi-sqlite.png"),
        (load_title("sqlite"), "load-sqlite.png"),
    ]
    for _, file_name in links:
        assert (written.out / file_name).read_bytes()[:8] == PNG_SIGNATURE
    asgi_section = markdown.split("## Whole app in process (ASGI)", 1)[0]
    assert asgi_section.rstrip().endswith("(ladder-data-sqlite.png)")


def test_charts_without_data_are_skipped(tmp_path: Path) -> None:
    report = sample_report()
    report.timings = data_timings()
    report.load = []
    charts = write_charts(report, tmp_path)
    assert charts == {ladder_title("sqlite", "data"): "ladder-data-sqlite.png"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ladder-data-sqlite.png"]
    markdown = render_markdown(report, charts)
    assert "## Whole app in process (ASGI)" not in markdown
    assert "## Over the wire\n\nNo load runs in this run." in markdown


def test_a_busy_load_chart_keeps_one_line_per_app_for_the_first_endpoint() -> None:
    runs = [
        dataclasses.replace(load_run(app, concurrency, 1000.0), endpoint=endpoint)
        for endpoint in ("get_one", "list_20", "create")
        for app in ("orm", "core", "floor")
        for concurrency in (16, 1)
    ]
    lines, chosen = load_series(runs)
    assert chosen == "get_one"
    assert [(line.app, line.endpoint) for line in lines] == [
        ("floor", "get_one"),
        ("core", "get_one"),
        ("orm", "get_one"),
    ]
    assert all([r.concurrency for r in line.runs] == [1, 16] for line in lines)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45.23, "45.2"),
        (1234.0, "1,230"),
        (9.996, "10.0"),
        (0.012345, "0.0123"),
        (123456.0, "123,000"),
        (0.0, "0"),
    ],
)
def test_microseconds_are_shown_to_three_significant_figures(value: float, expected: str) -> None:
    assert format_us(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000.0, "1,000"), (1.0, "1"), (0.0, "0"), (2.5, "2.5"), (1 / 3, "0.333")],
)
def test_counts_are_integers_never_in_scientific_notation(value: float, expected: str) -> None:
    assert format_count(value) == expected


def summary_text(report: Report, width: int = WIDTH) -> str:
    console = Console(record=True, width=width, color_system=None)
    print_summary(report, console, Path("reports/latest"))
    return console.export_text()


def test_print_summary_shows_each_operation_its_ratios_and_the_gate_status() -> None:
    text = summary_text(sample_report())
    get_one = next(line for line in text.splitlines() if "get_one" in line)
    assert re.search(r"│ get_one\s+│\s+8\.10 │\s+21\.4 │\s+45\.2 │", get_one)
    assert "2.11× [2.00–2.20]" in get_one and "2.64×" in get_one
    assert "list_20" in text and "19.90× [18.70–21.00]" in text
    assert "Gates: 1 of 2 FAILED (same query counts)" in text


def test_the_summary_fits_100_columns_with_every_cell_whole() -> None:
    report = sample_report()
    widest = ratio("orm", "core", 1234.5, 0.99, 2345.67)  # "1234.50× [0.99–2345.67] n.s."
    report.timings = [
        dataclasses.replace(t, ratios=[widest])
        if (t.rung, t.operation) == ("orm", "list_20")
        else t
        for t in report.timings
    ]
    text = summary_text(report)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    table = [line for line in lines if line.startswith(("│", "┃"))]
    rows = [line for line in table if "│ " in line and ("get_one" in line or "list_20" in line)]
    assert len(rows) == 2  # one line per operation: no cell wrapped onto a second line
    assert "1234.50× [0.99–2345.67] n.s." in text  # the interval column is whole
    assert "…" not in text
    header = [line for line in table if line.startswith("┃")]
    assert len(header) == 1 and "orm/core [95% CI]" in header[0]


def test_the_summary_ends_with_the_answer_and_where_the_report_is() -> None:
    lines = summary_text(sample_report()).splitlines()
    assert lines[-1].startswith("Report: reports/latest/report.html")
    answer = "\n".join(lines[lines.index("The answer") :])
    assert "µs more than through the core app" in answer


def test_all_gates_passed_is_never_printed_without_the_missed_targets() -> None:
    report = sample_report()
    report.gates = [dataclasses.replace(gate, passed=True) for gate in report.gates]
    text = summary_text(report)
    status = " ".join(text[text.index("Gates:") : text.index("The answer")].split())
    assert status.startswith("Gates: all 2 passed")
    assert "1 missed" in status and "1 not significant" in status
