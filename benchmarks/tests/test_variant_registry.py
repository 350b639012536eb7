"""A variant is its own package plus one registry entry: the benchmark picks it up unchanged.

``shared_tests.second_core_app`` is ``core_app`` under the name ``second-core``, with ``core``
as its baseline. Registered for the duration of one smoke run, it must be measured on every
layer — as a data-layer rung built from its own ``db.open_unit`` and ``repository``, as an app
in process, as a server over the wire — with its ratios taken against ``core``, and it must
be gone from the registry afterwards. No benchmark file names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.ladder import variant_names
from benchmarks.profiles import SMOKE
from shared_tests.second_core_app import VARIANT

NAME = VARIANT.name
BASELINE = "core"


def ratios_against(owner: dict[str, Any]) -> set[str]:
    """The denominators of a timing's or load run's ratios."""
    return {ratio["denominator"] for ratio in owner["ratios"]}


@pytest.fixture(scope="module")
def report(smoke_run: Path) -> dict[str, Any]:
    """The smoke run (data, asgi and wire layers) made with the throwaway variant registered."""
    loaded: dict[str, Any] = json.loads((smoke_run / "report.json").read_text())
    loaded["markdown"] = (smoke_run / "report.md").read_text()
    return loaded


@pytest.mark.slow
def test_the_variant_is_registered_only_for_the_run(report: dict[str, Any]) -> None:
    assert VARIANT.baseline == BASELINE
    assert NAME not in variant_names()


@pytest.mark.slow
def test_its_apps_gave_the_same_answers(report: dict[str, Any]) -> None:
    gate = next(g for g in report["gates"] if g["name"].startswith("same answers"))
    assert gate["passed"] and NAME in gate["detail"]


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["data", "asgi"])
def test_it_is_timed_in_process_against_its_baseline(report: dict[str, Any], layer: str) -> None:
    timings = [t for t in report["timings"] if t["layer"] == layer and t["rung"] == NAME]
    assert {t["operation"] for t in timings} == set(SMOKE.operations)
    for timing in timings:
        assert BASELINE in ratios_against(timing), timing["ratios"]
        assert timing["queries_per_operation"] is not None
        assert len(timing["samples"]) == 2


@pytest.mark.slow
def test_its_data_layer_rung_sends_what_its_baseline_sends(report: dict[str, Any]) -> None:
    counts = {
        (t["rung"], t["operation"]): t["queries_per_operation"]
        for t in report["timings"]
        if t["layer"] == "data"
    }
    for operation in SMOKE.operations:
        assert counts[(NAME, operation)] == counts[(BASELINE, operation)]


@pytest.mark.slow
def test_it_is_loaded_over_the_wire_against_its_baseline(report: dict[str, Any]) -> None:
    runs = [run for run in report["load"] if run["app"] == NAME]
    configs = {(run["endpoint"], run["concurrency"]) for run in runs}
    assert configs == {("get_one", 1), ("get_one", 4), ("create", 2)}
    for run in runs:
        assert run["requests"] > 0 and run["errors"] == 0
        assert BASELINE in ratios_against(run), run["ratios"]


@pytest.mark.slow
def test_the_report_shows_it_in_every_layer(report: dict[str, Any]) -> None:
    markdown: str = report["markdown"]
    assert f"{NAME}/{BASELINE}" in markdown  # a ratio column
    for heading in ("## Data layer on sqlite", "## Whole app in process", "## Over the wire"):
        section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
        assert NAME in section, heading
