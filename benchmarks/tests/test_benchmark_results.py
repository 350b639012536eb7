"""``benchmarks.results``: a report read back from its JSON is the report that was written,
and every committed ``reports/*/report.json`` (some written before fields were added) loads.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.results import (
    MET,
    MISSED,
    NOT_MEASURED,
    NOT_SIGNIFICANT,
    SCHEMA_VERSION,
    Breakdown,
    BreakdownPart,
    CostFit,
    Gate,
    InstructionCount,
    Interval,
    LoadRun,
    Ratio,
    Report,
    Target,
    Timing,
    TimingIndex,
)
from benchmarks.stats import ROUND_METHOD

REPORTS = Path(__file__).resolve().parents[2] / "reports"
COMMITTED = sorted(REPORTS.glob("*/report.json"))


def full_report() -> Report:
    """A report with every kind of entry, each optional field both set and left empty."""
    ratio = Ratio("orm", "core", Interval(2.1, 2.0, 2.3), significant=True)
    wire_ratio = Ratio("orm", "core", Interval(0.8, 0.7, 0.95), True, method=ROUND_METHOD)
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="quick",
        environment={"python": "3.11.9", "cpu": {"model": "Xeon", "cores": 2}},
        settings={"backends": ["sqlite"], "load_generator_ceiling_rps": None},
        gates=[Gate("same answers (sqlite)", True, "alike"), Gate("query counts", False, "2 vs 1")],
        timings=[
            Timing(
                "data",
                "sqlite",
                "core",
                "get_one",
                "us/op",
                100,
                [10.0, 11.0],
                Interval(10.5, 10.0, 11.0),
                1.0,
            ),
            Timing(
                "data",
                "sqlite",
                "orm",
                "get_one",
                "us/op",
                100,
                [21.0, 23.0],
                Interval(22.0, 21.0, 23.0),
                None,
                ratios=[ratio],
            ),
        ],
        load=[
            LoadRun(
                "sqlite",
                "core",
                "get_one",
                16,
                "wrk",
                0.2,
                400,
                2000.0,
                {"p50": 1.0, "p99": 3.0},
                0,
                0,
            ),
            LoadRun(
                backend="sqlite",
                app="orm",
                endpoint="get_one",
                concurrency=16,
                generator="builtin",
                duration_s=0.2,
                requests=300,
                requests_per_s=1500.0,
                latency_ms={"p50": 2.0, "p90": 3.0, "p99": 4.0, "max": 9.0},
                errors=1,
                timeouts=2,
                repeats=2,
                workers=2,
                requests_per_s_samples=[1400.0, 1600.0],
                requests_per_s_interval=Interval(1500.0, 1400.0, 1600.0),
                ratios=[wire_ratio],
                cpu_us_per_request=250.0,
                cpu_us_per_request_samples=[240.0, 260.0],
                cpu_us_per_request_interval=Interval(250.0, 240.0, 260.0),
                cpu_ratios=[wire_ratio],
                expected_status=204,
                unexpected_statuses={"404": 3},
                window_s=[0.2, 0.21],
                warmup_s=0.1,
            ),
        ],
        breakdown=[
            Breakdown(
                backend="sqlite",
                operation="get_one",
                gap="orm − core (data layer)",
                gap_us=11.5,
                parts=[
                    BreakdownPart("ORM: Session", 9.0, "cProfile own time"),
                    BreakdownPart("pydantic", -1.0, "cProfile own time", note="an offset"),
                ],
                unexplained_us=3.5,
            )
        ],
        targets=[
            Target("a", "≤ 2×", "1.5×", MET),
            Target("b", "≤ 2×", "2.5×", MISSED),
            Target("c", "≤ 2×", "2.0 [1.8–2.2]", NOT_SIGNIFICANT),
            Target("d", "≤ 2×", "not measured", NOT_MEASURED),
        ],
        conclusions=["The ORM costs 11 µs per read."],
        instructions=[
            InstructionCount(
                "data", "sqlite", "core", "get_one", "callgrind", 100, 5.0e4, {"sqlite3": 2.0e4}
            ),
            InstructionCount(
                "data",
                "sqlite",
                "orm",
                "get_one",
                "callgrind",
                100,
                1.2e5,
                {"sqlite3": 2.0e4},
                ratios={"orm/core": 2.4},
            ),
        ],
        curves=[
            CostFit(
                layer="data",
                backend="sqlite",
                rung="core",
                series="list",
                sizes=[1, 10, 100],
                medians_us=[20.0, 30.0, 120.0],
                fixed_us=Interval(19.0, 18.0, 20.0),
                per_row_us=Interval(1.0, 0.9, 1.1),
                fixed_samples=[19.0, 19.5],
                per_row_samples=[1.0, 1.02],
                worst_residual=0.03,
            ),
            CostFit(
                "data",
                "sqlite",
                "orm+yield_per",
                "list",
                [1000],
                [900.0],
                None,
                None,
                not_measured="one size",
            ),
        ],
    )


def test_a_report_read_back_from_its_json_is_the_same_report() -> None:
    report = full_report()

    text = json.dumps(report.to_json())
    loaded = Report.from_json(json.loads(text))

    assert loaded == report
    assert isinstance(loaded.load[1].requests_per_s_interval, Interval)
    assert isinstance(loaded.breakdown[0].parts[1], BreakdownPart)
    assert loaded.to_json() == report.to_json()


def test_a_breakdown_part_without_a_note_has_no_note_key() -> None:
    parts = full_report().to_json()["breakdown"][0]["parts"]

    assert "note" not in parts[0]
    assert parts[1]["note"] == "an offset"


def test_a_key_no_field_holds_is_refused_rather_than_dropped() -> None:
    data = full_report().to_json()
    data["timings"][0]["median"] = 10.5

    with pytest.raises(ValueError, match="Timing has no field 'median'"):
        Report.from_json(data)


def test_a_missing_required_field_and_another_schema_version_are_refused() -> None:
    data = full_report().to_json()
    del data["gates"][0]["passed"]
    with pytest.raises(ValueError, match="Gate"):
        Report.from_json(data)

    with pytest.raises(ValueError, match="schema_version 2"):
        Report.from_json(full_report().to_json() | {"schema_version": 2})


@pytest.mark.parametrize(("met", "status"), [(True, MET), (False, MISSED), (None, NOT_MEASURED)])
def test_a_target_written_with_met_reads_as_the_status_it_meant(
    met: bool | None, status: str
) -> None:
    target = Target.from_json({"name": "a", "goal": "g", "measured": "m", "met": met})

    assert target.status == status


def test_a_timing_is_found_by_its_layer_backend_rung_and_operation() -> None:
    report = full_report()
    core, orm = report.timings
    index = TimingIndex(report.timings)

    assert index.get("data", "sqlite", "orm", "get_one") is orm
    assert report.timing("data", "sqlite", "core", "get_one") is core
    assert index.get("asgi", "sqlite", "orm", "get_one") is None
    assert report.timing("data", "postgresql", "orm", "get_one") is None
    assert list(index) == [core, orm] and len(index) == 2


def test_of_two_timings_with_the_same_names_the_index_finds_the_first() -> None:
    core = full_report().timings[0]
    again = dataclasses.replace(core, samples=[99.0])

    index = TimingIndex([core, again])

    assert index.get("data", "sqlite", "core", "get_one") is core
    assert list(index) == [core]


def _kept(original: Any, written: Any, where: str = "") -> list[str]:
    """Where ``written`` lost or changed something of ``original`` (extra keys are fine)."""
    if isinstance(original, dict):
        if not isinstance(written, dict):
            return [where]
        return [
            problem
            for key, value in original.items()
            for problem in (
                _kept(value, written[key], f"{where}.{key}")
                if key in written
                else [f"{where}.{key}"]
            )
        ]
    if isinstance(original, list):
        if not isinstance(written, list) or len(original) != len(written):
            return [where]
        return [
            p
            for i, (a, b) in enumerate(zip(original, written, strict=True))
            for p in _kept(a, b, f"{where}[{i}]")
        ]
    return [] if original == written else [where]


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.parent.name)
def test_every_committed_report_loads_and_keeps_every_figure(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))

    report = Report.from_json(data)

    assert len(report.timings) == len(data["timings"]) and report.timings
    assert all(isinstance(t.interval, Interval) for t in report.timings)
    assert all(isinstance(r, Ratio) for run in report.load for r in run.ratios)
    # everything the file says is still there when written again, but targets' old ``met``
    targets = data.pop("targets")
    assert _kept(data, report.to_json()) == []
    assert [t.name for t in report.targets] == [t["name"] for t in targets]


def test_the_committed_reports_are_found() -> None:
    assert {path.parent.name for path in COMMITTED} >= {"example", "example-servers"}
