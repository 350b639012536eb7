"""``benchmarks.instruction_report`` and ``instruction_charts``: counts rendered into the report.

These tests take no ``app_kind``/``backend`` fixture, so they run once whatever is selected.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.instruction_charts import instructions_title
from benchmarks.instruction_report import (
    WHY_THEY_DISAGREE,
    format_instructions,
    gap_by_family,
    instruction_conclusions,
    instruction_sections,
)
from benchmarks.instructions import add_ratios
from benchmarks.report import write_report
from benchmarks.results import InstructionCount, Report
from benchmarks.tests.test_benchmark_report import ratio, sample_report, timing

INTERPRETER = "Python interpreter: all pure-Python code"
SQLITE = "SQLite itself (libsqlite3)"


def count(
    layer: str,
    rung: str,
    operation: str,
    interpreter: float,
    sqlite: float,
    backend: str = "sqlite",
) -> InstructionCount:
    return InstructionCount(
        layer=layer,
        backend=backend,
        rung=rung,
        operation=operation,
        tool="callgrind",
        operations=20,
        instructions_per_operation=interpreter + sqlite,
        by_family={INTERPRETER: interpreter, SQLITE: sqlite},
    )


def sample_counts(backend: str = "sqlite") -> list[InstructionCount]:
    counts = [
        count("data", "raw", "get_one", 40_000, 30_000, backend),
        count("data", "core", "get_one", 310_000, 30_000, backend),
        count("data", "orm", "get_one", 820_000, 30_000, backend),
        count("asgi", "floor", "get_one", 500_000, 0, backend),
        count("asgi", "core", "get_one", 900_000, 30_000, backend),
        count("asgi", "orm", "get_one", 1_500_000, 30_000, backend),
    ]
    add_ratios(counts)
    return counts


def report_with_counts(*backends: str) -> Report:
    counts = [c for backend in backends for c in sample_counts(backend)]
    return dataclasses.replace(sample_report(), instructions=counts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(69_780.1, "69.8k"), (903_609.7, "904k"), (30_200_000.0, "30.2M"), (512.0, "512")],
)
def test_instruction_counts_are_shown_to_three_figures_with_a_suffix(
    value: float, expected: str
) -> None:
    assert format_instructions(value) == expected


def test_ratios_are_taken_against_each_rungs_baseline_and_the_extra_denominators() -> None:
    by_rung = {(c.layer, c.rung): c.ratios for c in sample_counts()}
    assert by_rung[("data", "orm")] == pytest.approx({"orm/core": 2.5, "orm/raw": 850 / 70})
    assert by_rung[("data", "core")] == pytest.approx({"core/raw": 340 / 70})
    assert by_rung[("data", "raw")] == {}
    assert by_rung[("asgi", "core")] == pytest.approx({"core/floor": 930 / 500})
    assert by_rung[("asgi", "orm")] == pytest.approx({"orm/core": 1530 / 930})


def test_the_gap_is_split_by_family_and_adds_up_to_the_difference() -> None:
    data = [c for c in sample_counts() if c.layer == "data"]
    gap = gap_by_family(data, "orm", "core")["get_one"]
    assert gap == {INTERPRETER: 510_000, SQLITE: 0}
    assert sum(gap.values()) == 850_000 - 340_000


def test_each_backend_gets_counts_ratios_the_gap_split_and_its_chart() -> None:
    report = report_with_counts("sqlite")
    title = instructions_title("sqlite")
    lines = instruction_sections(report, {title: "instructions-sqlite.png"})
    text = "\n".join(lines)
    assert "## Instructions per operation on sqlite" in text
    assert "| get_one | 70k | 340k | 850k |" in text
    assert "| get_one | 4.86× | 2.50× | 12.14× |" in text
    assert f"| {INTERPRETER} | 510k (100%) |" in text
    assert f"![{title}](instructions-sqlite.png)" in text
    assert "not counted" not in text  # SQLite runs in process: nothing is left out


def test_a_server_backend_says_the_servers_own_work_is_not_counted() -> None:
    text = "\n".join(instruction_sections(report_with_counts("postgresql"), {}))
    assert "database server's own work" in text
    assert "**not counted**" in text


def test_a_report_without_counts_has_no_instruction_section() -> None:
    assert instruction_sections(sample_report(), {}) == []


def test_conclusions_set_instruction_ratios_beside_time_ratios_and_flag_disagreement() -> None:
    timings = [
        timing("data", "orm", "get_one", 45.0, 1, [ratio("orm", "core", 2.1, 2.0, 2.2)]),
        timing("data", "core", "get_one", 21.0, 1, [ratio("core", "raw", 4.7, 4.5, 5.0)]),
    ]
    lines = instruction_conclusions(timings, sample_counts())
    orm_core = next(line for line in lines if "data layer, orm/core" in line)
    assert "get_one 2.50× (time 2.10× [2.00–2.20])" in orm_core
    assert "Outside the time interval: get_one (above)" in orm_core
    core_raw = next(line for line in lines if "core/raw" in line)
    assert "Every instruction ratio lies inside its time interval." in core_raw
    assert lines[-1] == WHY_THEY_DISAGREE  # said once, after the figures
    asgi = next(line for line in lines if "ASGI" in line)
    assert "get_one 1.65×" in asgi  # no time ratio measured: the count stands alone


def test_the_written_report_links_the_instruction_chart(tmp_path: Path) -> None:
    paths = write_report(report_with_counts("sqlite"), tmp_path)
    assert tmp_path / "instructions-sqlite.png" in paths
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.count("instructions-sqlite.png") == 1
    assert "## Other charts" not in markdown


def test_when_every_ratio_agrees_no_reason_for_disagreement_is_given() -> None:
    timings = [timing("data", "orm", "get_one", 45.0, 1, [ratio("orm", "core", 2.5, 2.3, 2.7)])]
    lines = instruction_conclusions(timings, sample_counts())
    assert WHY_THEY_DISAGREE not in lines
    assert "Every instruction ratio lies inside its time interval." in lines[0]
