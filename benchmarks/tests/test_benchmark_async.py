"""The asyncio rungs: their place on the ladder, the awaiting sampler, the gate that holds them
to their sync twins' statements, their targets, and the report's answer on asyncio.

Everything but the last tests works on figures built by hand; those measure a few calls of
the async rungs on a real database (a second or two per backend).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from benchmarks import data_layer
from benchmarks.async_report import (
    async_breakdown,
    async_sentence,
    ratio_of_ratios,
    wire_ratio_of_ratios,
)
from benchmarks.awaiting import call_all
from benchmarks.database import BenchDatabase
from benchmarks.gates import twin_count_gate
from benchmarks.instructions import CountPlan, plan_pairs
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    RAW,
    RAW_ASYNC,
    async_pairs,
    compared_pairs,
    is_async,
    sync_twin,
    twin_pairs,
)
from benchmarks.load import LoadStats
from benchmarks.measure import Plan
from benchmarks.profiles import ASYNC_HEADLINE, DEFAULT
from benchmarks.registry import load_rungs
from benchmarks.results import MET, MISSED, NOT_MEASURED, SCHEMA_VERSION, Interval, Report, Timing
from benchmarks.rungs.raw_async import numbered
from benchmarks.targets import async_floor_targets, check_targets
from benchmarks.wire import summarize

# --- the ladder -------------------------------------------------------------------------------


def test_each_async_rung_has_the_sync_rung_of_its_kind_as_its_twin() -> None:
    assert sync_twin("core-async") == "core"
    assert sync_twin("orm-async") == "orm"
    assert sync_twin(RAW_ASYNC) == RAW
    assert sync_twin(f"{RAW_ASYNC}+psycopg") == RAW
    assert sync_twin("core-async+psycopg") == "core"
    assert sync_twin(FLOOR_ASYNC) == FLOOR
    assert sync_twin("core") is None and sync_twin("orm+columns") is None


def test_only_asyncio_rungs_are_async() -> None:
    assert all(is_async(name) for name in ("core-async", "orm-async", RAW_ASYNC, FLOOR_ASYNC))
    assert not any(is_async(name) for name in ("core", "orm", RAW, FLOOR, "orm+kept_open"))


def test_the_sync_pairs_stay_the_main_ladder_and_the_async_ones_are_apart() -> None:
    assert compared_pairs() == [("orm", "core")]
    assert async_pairs() == [("orm-async", "core-async")]
    assert twin_pairs() == [("core-async", "core"), ("orm-async", "orm")]


def test_the_async_rungs_await_and_have_no_kept_open_or_knob_twins() -> None:
    rungs = load_rungs()
    assert all(rungs[name].awaits for name in ("core-async", "orm-async", RAW_ASYNC))
    assert not rungs["core"].awaits
    assert "core-async+kept_open" not in rungs and "orm-async+columns" not in rungs
    assert rungs[f"{RAW_ASYNC}+psycopg"].runs_on("postgresql")
    assert not rungs[f"{RAW_ASYNC}+psycopg"].runs_on("sqlite")


def test_asyncpg_gets_one_number_per_named_parameter() -> None:
    sql, names = numbered("UPDATE t SET a = :a, b = :b WHERE id = :id AND a <> :a")
    assert sql == "UPDATE t SET a = $1, b = $2 WHERE id = $3 AND a <> $1"
    assert names == ("a", "b", "id")


# --- the awaiting sampler ---------------------------------------------------------------------


class FakeBench:
    """What the sampler needs of a benchmark database: resources and closers."""

    def __init__(self) -> None:
        self.resources: dict[str, object] = {}
        self.closers: list[object] = []


def test_the_awaiting_sampler_awaits_every_call_and_times_the_batch() -> None:
    done: list[int] = []

    async def call(_: object, argument: int) -> None:
        await asyncio.sleep(0.002)
        done.append(argument)

    bench = FakeBench()
    elapsed = call_all(bench, call, [1, 2, 3], awaits=True)  # type: ignore[arg-type]
    assert done == [1, 2, 3]
    assert elapsed >= 0.006
    for close in reversed(bench.closers):
        close()  # type: ignore[operator]


def test_a_sync_rung_is_called_in_a_row() -> None:
    done: list[int] = []
    elapsed = call_all(FakeBench(), lambda _, n: done.append(n), [1, 2], awaits=False)  # type: ignore[arg-type]
    assert done == [1, 2] and elapsed >= 0


def test_a_profile_limits_the_async_rungs_to_its_async_operations() -> None:
    limited = {r.name: r for r in data_layer.limited(list(load_rungs().values()), ("get_one",))}
    assert set(limited["core-async"].implementations) == {"get_one"}
    assert len(limited["core"].implementations) > 1


def test_the_default_profile_measures_asyncio_on_its_headline_cells_only() -> None:
    assert DEFAULT.async_operations == ASYNC_HEADLINE
    cells = {(c.endpoint, c.concurrency) for c in DEFAULT.wire.configs if c.asynchronous}
    assert cells == {("get_one", 16), ("list_20", 16)}
    get_one = next(c for c in DEFAULT.wire.configs if c.asynchronous and c.endpoint == "get_one")
    assert {FLOOR_ASYNC, "core-async", "orm-async"} <= set(get_one.apps)


def test_the_instruction_counts_take_the_async_rungs_on_the_async_operations_only() -> None:
    plan = CountPlan(n=1, main_ladder_only=True, operations=("get_one", "count"))
    pairs = plan_pairs(plan, ["get_one", "count"], backend="sqlite", async_operations=["get_one"])
    counted = {(p["layer"], p["rung"], p["operation"]) for p in pairs}
    assert ("data", RAW_ASYNC, "get_one") in counted
    assert ("asgi", FLOOR_ASYNC, "get_one") in counted
    assert ("data", "core-async", "count") not in counted
    assert ("data", "core", "count") in counted


# --- the gate ---------------------------------------------------------------------------------


def timing(
    rung: str,
    operation: str = "get_one",
    *,
    layer: str = "data",
    queries: float | None = 1,
    samples: Sequence[float] = (10.0, 10.0, 10.0),
) -> Timing:
    values = list(samples)
    middle = sorted(values)[len(values) // 2]
    return Timing(
        layer=layer,
        backend="sqlite",
        rung=rung,
        operation=operation,
        unit="us/op",
        operations_per_sample=1,
        samples=values,
        interval=Interval(middle, min(values), max(values)),
        queries_per_operation=queries,
    )


def test_the_twin_gate_passes_async_rungs_that_send_what_their_twins_send() -> None:
    timings = [timing("orm", queries=2), timing("orm-async", queries=2), timing("raw")]
    timings.append(timing(RAW_ASYNC))
    gate = twin_count_gate(timings, "sqlite")
    assert gate.passed and "each of 2 async" in gate.detail


@pytest.mark.parametrize("count", [1, 3])
def test_the_twin_gate_fails_an_async_rung_that_sends_more_or_fewer(count: int) -> None:
    gate = twin_count_gate([timing("orm", queries=2), timing("orm-async", queries=count)], "sqlite")
    assert not gate.passed
    assert f"data/orm-async/get_one: {count} vs orm 2" in gate.detail


def test_the_twin_gate_compares_layer_with_layer() -> None:
    timings = [timing("core", layer="asgi"), timing("core-async", queries=5)]
    assert "no async rung" in twin_count_gate(timings, "sqlite").detail


# --- targets over the wire --------------------------------------------------------------------


def window(rate: float, cpu: float | None = None, unexpected: int = 0) -> LoadStats:
    stats = LoadStats(
        generator="wrk",
        concurrency=16,
        requests=int(rate * 0.2),
        duration_s=0.2,
        requests_per_s=rate,
        latency_ms={"p50": 1.0, "p90": 2.0, "p99": 3.0, "max": 4.0},
        errors=0,
        timeouts=0,
        unexpected_statuses={"404": unexpected} if unexpected else {},
    )
    stats.server_cpu_us_per_request = cpu
    return stats


def rounds(rates: Sequence[float], cpu: float, unexpected: int = 0) -> list[LoadStats]:
    return [
        window(rate, cpu * (1 + i / 100), unexpected if i == 1 else 0)
        for i, rate in enumerate(rates)
    ]


def floor_cells(app_rates: Sequence[float], *, app_cpu: float, unexpected: int = 0) -> list:  # type: ignore[type-arg]
    floor_rates = [1000.0, 1010.0, 990.0, 1005.0]
    return summarize(
        "sqlite",
        {
            (FLOOR_ASYNC, "get_one", 16, 1): rounds(floor_rates, 100.0),
            ("core-async", "get_one", 16, 1): rounds(app_rates, app_cpu, unexpected),
        },
    )


def status_of(targets: Sequence[object], measure: str) -> str:
    found = [
        t
        for t in targets
        if "get_one" in t.name and "(sqlite)" in t.name and measure in t.name  # type: ignore[attr-defined]
    ]
    assert len(found) == 1
    return str(found[0].status)  # type: ignore[attr-defined]


def test_the_async_core_app_near_the_async_floor_meets_both_targets() -> None:
    targets = async_floor_targets(floor_cells([950.0, 960.0, 940.0, 955.0], app_cpu=105.0))
    assert status_of(targets, "requests/s") == MET
    assert status_of(targets, "CPU per request") == MET


def test_the_async_core_app_far_below_the_async_floor_misses_them() -> None:
    targets = async_floor_targets(floor_cells([500.0, 505.0, 495.0, 502.0], app_cpu=200.0))
    assert status_of(targets, "requests/s") == MISSED
    assert status_of(targets, "CPU per request") == MISSED


def test_a_window_with_an_unexpected_status_gives_no_async_target() -> None:
    load = floor_cells([950.0, 960.0, 940.0, 955.0], app_cpu=105.0, unexpected=3)
    targets = async_floor_targets(load)
    assert status_of(targets, "requests/s") == NOT_MEASURED
    assert status_of(targets, "CPU per request") == NOT_MEASURED
    assert all(not run.ratios for run in load if run.app == "core-async")


def test_the_async_orm_is_held_within_1_25x_of_the_async_core_app() -> None:
    load = summarize(
        "sqlite",
        {
            ("core-async", "count", 16, 1): rounds([1000.0, 1000.0, 1000.0, 1000.0], 100.0),
            ("orm-async", "count", 16, 1): rounds([600.0, 610.0, 590.0, 605.0], 150.0),
        },
    )
    target = next(t for t in check_targets([], load) if "orm-async within 1.25×" in t.name)
    assert target.status == MISSED


def test_an_async_variant_over_the_wire_is_also_set_against_its_sync_twin() -> None:
    load = summarize(
        "sqlite",
        {
            ("orm", "get_one", 16, 1): rounds([500.0, 500.0, 500.0, 500.0], 100.0),
            ("core-async", "get_one", 16, 1): rounds([900.0, 900.0, 900.0, 900.0], 100.0),
            ("orm-async", "get_one", 16, 1): rounds([600.0, 600.0, 600.0, 600.0], 100.0),
        },
    )
    orm_async = next(run for run in load if run.app == "orm-async")
    assert {r.denominator for r in orm_async.ratios} == {"core-async", "orm"}
    assert {r.denominator for r in orm_async.cpu_ratios} == {"core-async", "orm"}


# --- the ORM's cost under asyncio -------------------------------------------------------------


def four(
    layer: str, upper_async: float, lower_async: float, upper: float, lower: float
) -> list[Timing]:
    def at(rung: str, value: float) -> Timing:
        return timing(rung, layer=layer, samples=(value, value * 1.01, value * 0.99))

    return [
        at("orm-async", upper_async),
        at("core-async", lower_async),
        at("orm", upper),
        at("core", lower),
    ]


def test_the_orm_cost_under_asyncio_is_a_ratio_of_paired_ratios() -> None:
    from benchmarks.results import TimingIndex

    index = TimingIndex(four("asgi", 300.0, 200.0, 400.0, 200.0))
    ratio = ratio_of_ratios(index, "asgi", "sqlite", "get_one", "orm-async", "core-async")
    assert ratio is not None
    assert ratio.interval.median == pytest.approx(0.75, rel=0.02)  # 1.5× against 2×
    assert ratio.significant and ratio.denominator == "orm/core"


def test_no_orm_cost_ratio_without_all_four_rungs_in_the_same_repeats() -> None:
    from benchmarks.results import TimingIndex

    timings = four("asgi", 300.0, 200.0, 400.0, 200.0)
    timings[0] = timing("orm-async", layer="asgi", samples=(300.0, 301.0))
    index = TimingIndex(timings)
    assert ratio_of_ratios(index, "asgi", "sqlite", "get_one", "orm-async", "core-async") is None


def test_no_orm_cost_ratio_over_the_wire_from_an_invalid_cell() -> None:
    good = [1000.0, 1000.0, 1000.0, 1000.0]
    load = summarize(
        "sqlite",
        {
            ("core", "get_one", 16, 1): rounds(good, 100.0),
            ("orm", "get_one", 16, 1): rounds(good, 100.0),
            ("core-async", "get_one", 16, 1): rounds(good, 100.0),
            ("orm-async", "get_one", 16, 1): rounds(good, 100.0, unexpected=2),
        },
    )
    assert wire_ratio_of_ratios(load, "sqlite", "get_one", 16, "orm-async", "core-async") is None
    valid = [run for run in load if run.app != "orm-async"]
    valid += summarize("sqlite", {("orm-async", "get_one", 16, 1): rounds(good, 100.0)})
    ratio = wire_ratio_of_ratios(valid, "sqlite", "get_one", 16, "orm-async", "core-async")
    assert ratio is not None and ratio.interval.median == pytest.approx(1.0)


# --- where the time went, and the sentence ----------------------------------------------------


def test_the_async_gap_is_split_into_hops_driver_and_sqlalchemy() -> None:
    timings = [
        timing("floor", layer="asgi", samples=(100.0,)),
        timing(FLOOR_ASYNC, layer="asgi", samples=(60.0,)),
        timing("floor+dependency", layer="asgi", samples=(130.0,)),
        timing("floor-async+dependency", layer="asgi", samples=(70.0,)),
        timing("core", layer="asgi", samples=(300.0,)),
        timing("core-async", layer="asgi", samples=(310.0,)),
        timing(RAW, samples=(20.0,)),
        timing(RAW_ASYNC, samples=(50.0,)),
        timing("core", samples=(80.0,)),
        timing("core-async", samples=(150.0,)),
    ]
    item = next(
        i for i in async_breakdown("sqlite", timings) if i.gap.startswith("core-async − core")
    )
    parts = {part.name.split(" (", 1)[0]: part.us for part in item.parts}
    assert item.gap_us == 10.0
    assert list(parts.values()) == [-40.0, -20.0, 30.0, 40.0]
    assert item.unexplained_us == 0.0
    assert all(part.note for part in item.parts if part.us < 0)
    floor_gap = next(i for i in async_breakdown("sqlite", timings) if "floor-async" in i.gap)
    assert floor_gap.gap_us == 250.0


def test_the_answer_on_asyncio_names_each_family_and_the_orm_cost() -> None:
    report = Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="quick",
        environment={},
        settings={},
        gates=[],
        timings=[],
        load=[],
        breakdown=[],
        targets=[],
        conclusions=[],
    )
    assert async_sentence(report, "sqlite") is None
    from benchmarks.measure import Variant
    from benchmarks.summary import timings_from_variants

    values = {"orm-async": 300.0, "core-async": 200.0, "orm": 400.0, "core": 200.0}
    variants = [
        Variant((rung, "get_one"), lambda k: 0.0, [value, value * 1.02, value * 0.98])
        for rung, value in values.items()
    ]
    report.timings = timings_from_variants(
        variants,
        layer="asgi",
        backend="sqlite",
        ks={v.key: 1 for v in variants},
        queries={},
        baselines={"orm-async": "core-async", "core-async": "core", "orm": "core", "core": None},
    )
    sentence = async_sentence(report, "sqlite")
    assert sentence is not None
    assert "the core-async app takes 1.00×" in sentence
    assert "the orm-async app takes 0.75×" in sentence
    assert "the ORM costs less under asyncio" in sentence


# --- a few real calls -------------------------------------------------------------------------


# aiomysql reads SHOW WARNINGS after a statement that left warnings (INSERT IGNORE of a tag
# that exists) and re-raises each as a Python Warning; PyMySQL does neither (benchmarks/README.md)
@pytest.mark.filterwarnings("ignore:Duplicate entry:Warning")
def test_the_async_rungs_send_their_sync_twins_statements(bench: BenchDatabase) -> None:
    """A few real calls of every async rung (and its twin) on each backend: they run, they
    are timed, and the gate finds them sending what their twins send."""
    rungs = [
        rung
        for rung in load_rungs().values()
        if rung.name in ("raw", "core", "orm") or (rung.awaits and rung.runs_on(bench.backend))
    ]
    start = time.perf_counter()
    timings = data_layer.measure_data_layer(
        bench,
        rungs,
        ["get_one", "create", "update", "replace_tags", "delete"],
        Plan(repeats=1, warmups=0, sample_seconds=0.001),
    )
    assert time.perf_counter() - start < 30
    measured = {t.rung for t in timings}
    assert {RAW_ASYNC, "core-async", "orm-async"} <= measured
    assert (f"{RAW_ASYNC}+psycopg" in measured) == (bench.backend == "postgresql")
    gate = twin_count_gate(timings, bench.backend)
    assert gate.passed, gate.detail


def test_the_async_floor_answers_every_request_as_the_sync_floor_does() -> None:
    from benchmarks import floor
    from benchmarks.asgi_client import call, running

    script = [
        ("GET", "/todos/3", None),
        ("GET", "/todos?limit=2&completed=true", None),
        ("GET", "/todos/count", None),
        ("GET", "/tags?limit=3", None),
        ("POST", "/todos", b'{"title": "a", "tags": ["x"]}'),
        ("PATCH", "/todos/2", b'{"priority": 4}'),
        ("DELETE", "/todos/5000", None),
        ("GET", "/health", None),
    ]

    async def transcript(app: object) -> list[tuple[int, bytes]]:
        answers = []
        async with running(app):  # type: ignore[arg-type]
            for method, path, body in script:
                response = await call(app, method, path, body)  # type: ignore[arg-type]
                answers.append((response.status, response.body))
        return answers

    sync = asyncio.run(transcript(floor.create_app()))
    assert asyncio.run(transcript(floor.create_async_app(dependency=True))) == sync
    assert [status for status, _ in sync] == [200, 200, 200, 200, 201, 200, 404, 200]


def test_the_async_floor_is_served_by_the_floor_module_with_async() -> None:
    from benchmarks.wire import server_command

    assert server_command(FLOOR_ASYNC, "--port", "1")[1:] == [
        "-m",
        "benchmarks.floor",
        "--async",
        "--port",
        "1",
    ]
    assert server_command("core-async", "--port", "1")[1:] == [
        "-m",
        "core_app",
        "--async",
        "--port",
        "1",
    ]


def test_the_section_tells_waiting_from_work_by_the_instruction_counts() -> None:
    from benchmarks.async_report import async_sections
    from benchmarks.measure import Variant
    from benchmarks.results import InstructionCount
    from benchmarks.summary import timings_from_variants

    values = {"core-async": 500.0, "core": 100.0}
    variants = [
        Variant((rung, "get_one"), lambda k: 0.0, [value, value * 1.02, value * 0.98])
        for rung, value in values.items()
    ]
    timings = timings_from_variants(
        variants,
        layer="data",
        backend="sqlite",
        ks={v.key: 1 for v in variants},
        queries={},
        baselines={"core-async": "core", "core": None},
    )
    counted = InstructionCount(
        "data",
        "sqlite",
        "core-async",
        "get_one",
        "callgrind",
        10,
        2e6,
        {},
        {"core-async/core": 2.0},
    )
    report = Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="quick",
        environment={},
        settings={},
        gates=[],
        timings=timings,
        load=[],
        breakdown=[],
        targets=[],
        conclusions=[],
        instructions=[counted],
    )
    text = "\n".join(async_sections(report))
    assert "| data layer | get_one | core-async/core |" in text and "| 2.00× |" in text
    assert "runs only 2.00× its instructions: the rest of the time is waiting" in text
    counted.ratios["core-async/core"] = 5.0
    assert "is work the CPU does" in "\n".join(async_sections(report))
