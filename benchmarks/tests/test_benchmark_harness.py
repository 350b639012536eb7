"""The benchmark harness itself: query counting, the gates, and a whole (tiny) real run.

No test here asserts a speed: figures from a smoke run mean nothing, only their presence,
shape and consistency are checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import core_app
import orm_app
from benchmarks import floor
from benchmarks.cli import main as bench_main
from benchmarks.counting import counting_engine, does_work
from benchmarks.data_layer import queries_per_operation
from benchmarks.database import BenchDatabase, bench_database, fresh_url
from benchmarks.gates import query_count_gate, same_answers_gate
from benchmarks.registry import OPERATIONS, load_rungs
from benchmarks.results import Interval, Timing
from benchmarks.rungs.raw import driver, statements_for
from core_app import queries
from todo_contract.schemas import TodoCreate
from todo_contract.variants import variants


def test_transaction_control_is_not_counted_as_work() -> None:
    assert not does_work("BEGIN IMMEDIATE")
    assert not does_work("  commit")
    assert does_work("SELECT 1")


def test_every_rung_of_the_ladder_implements_every_operation() -> None:
    rungs = load_rungs()
    for name in ("raw", "core", "orm"):
        assert set(rungs[name].implementations) == set(OPERATIONS)


def test_the_rungs_return_the_same_todo(bench: BenchDatabase) -> None:
    rungs = load_rungs()
    todo_id = bench.seeded_ids[3]
    answers = {
        name: rung.implementations["get_one"](bench, todo_id)
        for name, rung in rungs.items()
        if "get_one" in rung.implementations
    }
    assert set(answers) == {"raw", "core", "orm", "orm+columns", "orm+identity_map"}
    assert len({answer.model_dump_json() for answer in answers.values()}) == 1


def test_statements_are_counted_per_operation_on_every_rung(bench: BenchDatabase) -> None:
    rungs = load_rungs()
    assert queries_per_operation(bench, rungs["raw"], "get_one") == 1
    assert queries_per_operation(bench, rungs["core"], "get_one") == 1
    assert queries_per_operation(bench, rungs["orm"], "update") == 2
    assert queries_per_operation(bench, rungs["orm+expire_on_commit"], "create") == 2
    assert queries_per_operation(bench, rungs["raw"], "seed_1000") == 1


def test_the_engine_counter_sees_every_statement_and_stops_listening(
    bench: BenchDatabase,
) -> None:
    create = load_rungs()["orm"].implementations["create"]
    with counting_engine(bench.engine) as counter:
        create(bench, TodoCreate(title="counted"))
        create(bench, TodoCreate(title="counted too"))
    create(bench, TodoCreate(title="not counted"))
    assert counter.count == 2
    assert all(statement.startswith("INSERT") for statement in counter.statements)
    bench.remove_rows_after_seed()


def test_the_same_answers_gate_passes_the_two_apps(backend: str, tmp_path: Path) -> None:
    gate = same_answers_gate(
        {"orm": orm_app.create_app, "core": core_app.create_app}, backend, tmp_path
    )
    assert gate.passed, gate.detail


def test_the_same_answers_gate_rejects_an_app_that_answers_differently(tmp_path: Path) -> None:
    gate = same_answers_gate(
        {"core": core_app.create_app, "floor": floor.create_app}, "sqlite", tmp_path
    )
    assert not gate.passed
    assert "floor differs from core at step" in gate.detail


def _timing(rung: str, queries: float) -> Timing:
    return Timing(
        layer="data",
        backend="sqlite",
        rung=rung,
        operation="create",
        unit="us/op",
        operations_per_sample=1,
        samples=[1.0],
        interval=Interval(1.0, 1.0, 1.0),
        queries_per_operation=queries,
    )


def test_the_query_count_gate_flags_a_rung_that_sends_more_statements_than_core() -> None:
    flagged = query_count_gate([_timing("core", 1), _timing("orm+expire_on_commit", 2)], "sqlite")
    assert "data/orm+expire_on_commit/create: 2 vs core 1" in flagged.detail
    alike = query_count_gate([_timing("core", 1), _timing("orm", 1)], "sqlite")
    assert alike.detail == "every rung sends as many statements as Core"


@pytest.mark.slow
def test_a_tiny_real_run_writes_a_complete_report_and_compares_with_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first"
    assert bench_main(["--profile", "smoke", "--output", str(first)]) == 0
    report = json.loads((first / "report.json").read_text())
    assert report["profile"] == "smoke"
    assert all(gate["passed"] for gate in report["gates"])
    layers = {(t["layer"], t["rung"]) for t in report["timings"]}
    assert {("data", "raw"), ("data", "core"), ("data", "orm"), ("asgi", "floor")} <= layers
    assert {("asgi", "core"), ("asgi", "orm")} <= layers
    for timing in report["timings"]:
        assert len(timing["samples"]) == 2
        low, median, high = (timing["interval"][key] for key in ("low", "median", "high"))
        assert low <= median <= high
        assert timing["queries_per_operation"] is not None
    apps = {
        (run["app"], run["concurrency"]) for run in report["load"] if run["endpoint"] == "get_one"
    }
    assert apps == {(app, level) for app in ("floor", "core", "orm") for level in (1, 4)}
    assert all(run["errors"] == 0 and run["requests"] > 0 for run in report["load"])
    assert report["breakdown"] and report["targets"] and report["conclusions"]
    assert report["settings"]["load_generator_ceiling_rps"] > 0
    assert "× the most any app served here" in (first / "report.md").read_text()
    markdown = (first / "report.md").read_text()
    for heading in (
        "## Gates",
        "## Data layer on sqlite",
        "## Over the wire on sqlite",
        "## Where the time goes",
        "## Targets",
        "## Conclusions",
    ):
        assert heading in markdown
    pngs = sorted(path.name for path in first.glob("*.png"))
    assert pngs == ["ladder-asgi-sqlite.png", "ladder-data-sqlite.png", "load-sqlite.png"]

    second = tmp_path / "second"
    capsys.readouterr()
    code = bench_main(
        [
            "--profile",
            "smoke",
            "--layers",
            "data",
            "--output",
            str(second),
            "--compare",
            str(first / "report.json"),
        ]
    )
    assert code == 0
    output = capsys.readouterr().out
    assert "data/sqlite/orm/get_one" in output
    assert "only in the old run" in output  # the asgi and wire figures were not measured


def test_every_registered_variant_is_a_rung_against_its_baseline() -> None:
    rungs = load_rungs()
    for variant in variants(style="sync"):
        assert rungs[variant.name].baseline == (variant.baseline or "raw")
        assert set(rungs[variant.name].implementations) == set(OPERATIONS)
    orm = next(variant for variant in variants() if variant.family == "orm")
    knobs = [rung for name, rung in rungs.items() if name.startswith(f"{orm.name}+")]
    assert knobs and all(rung.baseline == orm.name for rung in knobs)


def test_the_raw_rung_sends_core_apps_statements_in_the_drivers_paramstyle() -> None:
    sqlite, server = statements_for("sqlite"), statements_for("postgresql")
    assert sqlite["get"] == str(queries.SELECT_TODO)
    assert server["get"].endswith("WHERE id = %(id)s")
    assert server["insert"].count("%(created_at)s") == 2
    assert statements_for("mariadb")["get_for_update"].endswith("FOR UPDATE")
    assert not sqlite["get_for_update"].endswith("FOR UPDATE")


def test_the_raw_rung_shapes_sqlite_transactions_like_the_apps(tmp_path: Path) -> None:
    """Reads in autocommit (no BEGIN, no ROLLBACK); writes in BEGIN IMMEDIATE … COMMIT."""
    with fresh_url("sqlite", tmp_path) as url, bench_database("sqlite", url) as bench:
        raw = load_rungs()["raw"].implementations
        sent: list[str] = []
        driver(bench).connection.set_trace_callback(sent.append)
        raw["get_one"](bench, bench.seeded_ids[0])
        assert len(sent) == 1 and sent[0].startswith("SELECT")
        sent.clear()
        raw["create"](bench, TodoCreate(title="shaped"))
        assert sent[0] == "BEGIN IMMEDIATE" and sent[1].startswith("INSERT")
        assert sent[-1] == "COMMIT"
