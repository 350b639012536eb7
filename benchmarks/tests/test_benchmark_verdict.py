"""Targets judged on intervals, the conclusions that cite them, and *The answer*.

Every figure here is made up for the test; what is checked is that the verdict and the
targets say what those figures say, and nothing the run did not measure.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from benchmarks.curves import cost_curves
from benchmarks.results import Interval, LoadRun, Ratio, Report, Timing
from benchmarks.targets import check_targets, conclusions, judge, wire_target_name
from benchmarks.tests.test_benchmark_report import sample_report
from benchmarks.verdict import MAX_SENTENCES, the_answer


@pytest.mark.parametrize(
    ("interval", "status"),
    [
        (Interval(0.90, 0.85, 0.95), "met"),
        (Interval(0.70, 0.60, 0.79), "missed"),
        # the example: a median below the goal with an interval reaching far above it
        (Interval(0.77, 0.60, 2.22), "not significant"),
        # and a median above the goal whose interval reaches below it
        (Interval(0.98, 0.41, 1.42), "not significant"),
        (Interval(0.80, 0.80, 0.80), "met"),
    ],
)
def test_a_target_at_least_is_judged_on_the_whole_interval(interval: Interval, status: str) -> None:
    assert judge(interval, at_least=0.8) == status


def test_a_target_at_most_is_judged_on_the_whole_interval() -> None:
    assert judge(Interval(1.9, 1.8, 1.99), at_most=2.0) == "met"
    assert judge(Interval(4.99, 4.85, 5.2), at_most=2.0) == "missed"
    assert judge(Interval(1.9, 1.5, 2.4), at_most=2.0) == "not significant"
    with pytest.raises(ValueError):
        judge(Interval(1, 1, 1))


def wire_run(app: str, endpoint: str, ratio: Ratio | None) -> LoadRun:
    return LoadRun(
        backend="sqlite",
        app=app,
        endpoint=endpoint,
        concurrency=16,
        generator="wrk",
        duration_s=1.0,
        requests=500,
        requests_per_s=500.0,
        latency_ms={"p50": 30.0, "p90": 35.0, "p99": 40.0, "max": 50.0},
        errors=0,
        timeouts=0,
        ratios=[] if ratio is None else [ratio],
    )


def test_the_targets_table_and_the_conclusions_say_the_same() -> None:
    """Before: "list_20 c16: 0.77 [0.60–2.22] missed" beside "no significant difference".
    Now both say not significant, from the same interval."""
    straddling = Ratio("orm", "core", Interval(0.77, 0.60, 2.22), significant=False)
    missed = Ratio("orm", "core", Interval(0.55, 0.50, 0.62), significant=True)
    load = [
        wire_run("core", "list_20", None),
        wire_run("orm", "list_20", straddling),
        wire_run("core", "count", None),
        wire_run("orm", "count", missed),
    ]
    targets = {t.name: t for t in check_targets([], load)}
    list_20 = targets[wire_target_name("orm", "core", "list_20", "sqlite")]
    count = targets[wire_target_name("orm", "core", "count", "sqlite")]
    assert (list_20.measured, list_20.status) == ("0.77 [0.60–2.22]", "not significant")
    assert count.status == "missed"
    timing = sample_report().timings[0]  # conclusions need a backend with timings
    lines = conclusions([timing], load)
    line_20 = next(line for line in lines if "list_20 at c16" in line)
    assert "no significant difference" in line_20 and "is not significant" in line_20
    line_count = next(line for line in lines if "count at c16" in line)
    assert "0.55 [0.50–0.62]" in line_count and "is missed" in line_count


def test_wire_targets_and_conclusions_set_cpu_per_request_beside_requests_per_s() -> None:
    """CPU per request is the steadier figure on a shared machine: it stands beside the
    requests/s ratio the target is judged on, and a ratio too wide to mean a figure is said
    to be so in words."""
    wide = Ratio("orm", "core", Interval(0.77, 0.60, 2.22), significant=False)
    cpu = ratio_of("orm", "core", 1.31, 1.22, 1.40)
    load = [
        wire_run("core", "list_20", None),
        dataclasses.replace(wire_run("orm", "list_20", wide), cpu_ratios=[cpu]),
    ]
    name = wire_target_name("orm", "core", "list_20", "sqlite")
    target = next(t for t in check_targets([], load) if t.name == name)
    assert target.measured == "0.77 [0.60–2.22]; server CPU per request 1.31 [1.22–1.40]"
    assert target.status == "not significant"  # judged on requests/s, as before
    line = next(line for line in conclusions([sample_report().timings[0]], load) if "c16" in line)
    assert "(cannot be pinned down on this machine)" in line
    assert "the server's CPU per request is 1.31 [1.22–1.40]× core's" in line


def paired_timing(layer: str, rung: str, operation: str, samples: list[float]) -> Timing:
    ordered = sorted(samples)
    middle = ordered[len(ordered) // 2]
    return Timing(
        layer, "sqlite", rung, operation, "us/op", 10, samples,
        Interval(middle, ordered[0], ordered[-1]), 1,
    )  # fmt: skip


def ratio_of(numerator: str, denominator: str, median: float, low: float, high: float) -> Ratio:
    return Ratio(numerator, denominator, Interval(median, low, high), not low <= 1.0 <= high)


def full_report(scale: float = 1.0) -> Report:
    """Every figure the answer is written from, times ``scale``."""

    def t(layer: str, rung: str, operation: str, base: float, *ratios: Ratio) -> Timing:
        samples = [base * scale * f for f in (0.98, 1.0, 1.02, 0.99, 1.01)]
        timing = paired_timing(layer, rung, operation, samples)
        return dataclasses.replace(timing, ratios=list(ratios))

    timings = [
        t("data", "raw", "list_20", 200),
        t("data", "core", "list_20", 300),
        t("data", "orm", "list_20", 600, ratio_of("orm", "core", 2.0, 1.9, 2.1)),
        t("data", "raw", "list_1000", 5000),
        t("data", "core", "list_1000", 10300),
        t("data", "orm", "list_1000", 20400, ratio_of("orm", "core", 1.98, 1.9, 2.05)),
        t(
            "data",
            "orm+columns",
            "list_1000",
            15000,
            ratio_of("orm+columns", "orm", 0.74, 0.7, 0.78),
        ),
        t("data", "core", "create", 250),
        t("data", "orm", "create", 650, ratio_of("orm", "core", 2.6 * scale, 2.4, 2.8)),
        t(
            "data",
            "orm+expire_on_commit",
            "create",
            1300,
            ratio_of("orm+expire_on_commit", "orm", 2.0, 1.9, 2.1),
        ),
        t("data", "core", "seed_1000", 18000),
        t("data", "orm", "seed_1000", 94000, ratio_of("orm", "core", 5.2, 5.0, 5.5)),
        t(
            "data",
            "orm+bulk_insert",
            "seed_1000",
            25000,
            ratio_of("orm+bulk_insert", "orm", 0.27, 0.26, 0.28),
        ),
        t(
            "data",
            "orm+yield_per",
            "list_1000",
            20300,
            ratio_of("orm+yield_per", "orm", 0.99, 0.95, 1.03),
        ),
        t("data", "core", "get_one", 110),
        t("data", "core+kept_open", "get_one", 30),
        t("data", "orm", "get_one", 370),
        t("data", "orm+kept_open", "get_one", 110),
        t("asgi", "core", "list_1", 1000),
        t("asgi", "core", "list_100", 2000),
        t("asgi", "orm", "list_1", 1500),
        t("asgi", "orm", "list_100", 3490),
        t("asgi", "floor", "get_one", 800),
        t("asgi", "core", "get_one", 1900, ratio_of("core", "floor", 2.36, 2.27, 2.53)),
        t("asgi", "orm", "get_one", 2400, ratio_of("orm", "core", 1.26, 1.17, 1.41)),
    ]
    report = sample_report()
    report.timings = timings
    report.curves = cost_curves(timings)
    report.gates = [dataclasses.replace(g, passed=True) for g in report.gates]
    report.load = [
        dataclasses.replace(wire_run("core", "get_one", None), concurrency=1),
        dataclasses.replace(
            wire_run("orm", "get_one", ratio_of("orm", "core", 0.84, 0.80, 0.88)),
            concurrency=1,
            cpu_ratios=[ratio_of("orm", "core", 1.35, 1.28, 1.42)],
        ),
    ]
    return report


def test_the_answer_states_every_measured_figure_with_its_interval() -> None:
    answer = the_answer(full_report())
    assert 1 <= len(answer) <= MAX_SENTENCES
    text = "\n".join(answer)
    assert "a get_one request through the orm app costs 500 [" in text  # 2400 − 1900
    assert "1.26× [1.17–1.41] its time" in text
    assert "Over HTTP (uvicorn, 1 connection), the orm app serves 0.84× [0.80–0.88]" in text
    assert "its server spends 1.35× [1.28–1.42] the core server's CPU time per request" in text
    # the lines through list_20 and list_1000: orm 19,800 / 980 µs per row and 600 − 20 ×
    # that per call; core 10,000 / 980 and 300 − 20 × that; the ORM adds their differences
    assert re.search(
        r"lists of 20–1,000 rows, the orm adds 100 \[[\d.]+–[\d.]+\] µs per call and "
        r"10\.0 \[[\d.]+–[\d.]+\] µs per row at the data layer, over core's 95\.9 \[",
        text,
    )
    assert "µs per call and 10.2 [" in text  # core's per row: 10,000 / 980
    assert "(the raw driver: 102 [" in text
    # whole requests: orm 1,990 / 99 per row, core 1,000 / 99: 990 / 99 more; per call 490
    assert re.search(r"per whole request in process, 490 \[[\d.]+–[\d.]+\] µs per request", text)
    assert "µs per request and 10.0 [" in text
    # lifecycle: own unit − kept open, per repeat
    assert "core's Connection 80.0 [78.4–81.6] µs of its 110 [" in text
    assert "orm's Session 260 [255–265] µs of its 370 [" in text
    assert "kept open as SQLAlchemy's short_selects example does, costs 30.0 [" in text
    assert "2.60× [2.40–2.80] to create a todo" in text
    assert "5.20× [5.00–5.50] core's time to insert 1,000 rows" in text
    assert "insert(Todo) with a list of dicts instead of add_all takes 0.27× [0.26–0.28]" in text
    assert "yield_per=100 makes no significant difference" in text
    assert "takes 800 [" in text and "of the core app's request" in text
    assert answer[-1].startswith("Recommendation: keep the orm for ordinary endpoints")
    assert "select columns rather than objects for long lists" in answer[-1]
    assert "write in bulk with insert(Todo)" in answer[-1]
    assert "expire_on_commit=False" in answer[-1]
    assert all(sentence.endswith(".") for sentence in answer)


def test_the_answer_is_written_from_the_figures_not_by_hand() -> None:
    assert the_answer(full_report(1.0)) != the_answer(full_report(2.0))
    assert "costs 1,000 [" in "\n".join(the_answer(full_report(2.0)))  # 2 × (2400 − 1900)


def test_a_figure_not_measured_leaves_its_sentence_out() -> None:
    report = full_report()
    report.load = []
    report.timings = [t for t in report.timings if t.operation not in ("list_1000", "seed_1000")]
    report.curves = cost_curves(report.timings)
    text = "\n".join(the_answer(report))
    assert "Over HTTP" not in text
    assert "at the data layer, over" not in text  # one list size: no line, no per-row figure
    assert "insert 1,000 rows" not in text
    assert "1.26× [1.17–1.41]" in text  # what was measured is still said
    report.timings = []
    assert the_answer(report) == []


def test_a_negative_part_of_a_gap_carries_what_it_offsets() -> None:
    from benchmarks.breakdown import ladder_part, profile_part

    negative = profile_part("pydantic validation", -2.0, "orm", "core")
    assert negative.note is not None
    assert negative.note.startswith("core spends 2 µs more here than orm")
    positive = profile_part("pydantic validation", 2.0, "orm", "core")
    assert positive.note is None
    assert "note" not in positive.to_json()  # in report.json only where there is one
    wire = ladder_part("HTTP server", -249.0, "measured separately")
    assert wire.note == "measured separately"
    assert wire.to_json()["note"] == "measured separately"
    assert ladder_part("HTTP server", 10.0, "measured separately").note is None


def test_the_floor_targets_also_set_cpu_per_request_beside_requests_per_s() -> None:
    core = dataclasses.replace(
        wire_run("core", "get_one", ratio_of("core", "floor", 0.60, 0.55, 0.66)),
        concurrency=1,
        cpu_ratios=[ratio_of("core", "floor", 1.84, 1.70, 2.00)],
    )
    load = [dataclasses.replace(wire_run("floor", "get_one", None), concurrency=1), core]
    target = next(t for t in check_targets([], load) if t.name.startswith("core ≥ 85%"))

    assert target.measured == "0.60 [0.55–0.66]; server CPU per request 1.84 [1.70–2.00]"
    assert target.status == "missed"
