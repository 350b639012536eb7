"""The benchmark harness itself: query counting, the gates, and a whole (tiny) real run.

No test here asserts a speed: figures from a smoke run mean nothing, only their presence,
shape and consistency are checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import core_app
import orm_app
from benchmarks import cli, floor
from benchmarks.awaiting import perform
from benchmarks.cli import main as bench_main
from benchmarks.counting import counting_engine, does_work
from benchmarks.data_layer import queries_per_operation
from benchmarks.database import BenchDatabase, bench_database, fresh_url
from benchmarks.gates import query_count_gate, same_answers_gate
from benchmarks.ladder import async_variants, sync_variants
from benchmarks.registry import OPERATIONS, Rung, load_rungs
from benchmarks.results import Gate, Interval, Timing
from benchmarks.rungs.raw import driver, statements_for
from core_app import queries
from shared_tests.second_core_app import VARIANT
from todo_contract.schemas import TodoCreate
from todo_contract.table import todos
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
        name: perform(bench, rung.implementations["get_one"], todo_id)
        for name, rung in rungs.items()
        if "get_one" in rung.implementations and rung.runs_on(bench.backend)
    }
    assert set(answers) == {
        *("raw", "core", "orm", "orm+columns", "orm+identity_map"),
        *("core+kept_open", "orm+kept_open"),
        *("raw-async", "core-async", "orm-async"),
        *(("raw-async+psycopg", "core-async+psycopg") if bench.backend == "postgresql" else ()),
    }
    assert len({answer.model_dump_json() for answer in answers.values()}) == 1


def test_statements_are_counted_per_operation_on_every_rung(bench: BenchDatabase) -> None:
    rungs = load_rungs()
    assert queries_per_operation(bench, rungs["raw"], "get_one") == 1
    assert queries_per_operation(bench, rungs["core"], "get_one") == 1
    # the todo, then its tags (selectinload): one more than Core's aggregate
    assert queries_per_operation(bench, rungs["orm"], "get_one") == 2
    assert queries_per_operation(bench, rungs["orm"], "list_20") == 2
    # selectinload puts at most 500 ids in one SELECT: a thousand todos take two
    assert queries_per_operation(bench, rungs["orm"], "list_1000") == 3
    assert queries_per_operation(bench, rungs["core"], "list_1000") == 1
    # SELECT … FOR UPDATE, its tags, UPDATE
    assert queries_per_operation(bench, rungs["orm"], "update") == 3
    assert queries_per_operation(bench, rungs["core"], "update") == 2
    assert queries_per_operation(bench, rungs["orm"], "create") == 1
    # the reload after commit: the todo, then its tags
    assert queries_per_operation(bench, rungs["orm+expire_on_commit"], "create") == 3
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


def _timing(rung: str, queries: float, operation: str = "create", layer: str = "data") -> Timing:
    return Timing(
        layer=layer,
        backend="sqlite",
        rung=rung,
        operation=operation,
        unit="us/op",
        operations_per_sample=1,
        samples=[1.0],
        interval=Interval(1.0, 1.0, 1.0),
        queries_per_operation=queries,
    )


def good_counts() -> list[Timing]:
    """Counts as the real rungs send them: the knob's extra SELECT and add_all's INSERT per
    row are declared by their rungs."""
    return [
        _timing("raw", 1),
        _timing("core", 1),
        _timing("orm", 1),
        _timing("orm+expire_on_commit", 3),
        _timing("raw", 1, "seed_1000"),
        _timing("core", 1, "seed_1000"),
        _timing("orm", 1000, "seed_1000"),
        _timing("orm+bulk_insert", 1, "seed_1000"),
        _timing("orm", 2, "get_one"),
        _timing("core", 1, "get_one"),
        _timing("orm+identity_map", 0, "get_one"),
        _timing("orm", 3, "list_1000"),
        _timing("core", 1, "list_1000"),
        _timing("orm", 1, "count"),
        _timing("core", 1, "count"),
        _timing("floor", 0, layer="asgi"),
        _timing("core", 1, layer="asgi"),
        _timing("orm", 1, layer="asgi"),
    ]


def test_the_query_count_gate_passes_declared_extra_statements_and_fewer_ones() -> None:
    gate = query_count_gate(good_counts(), "sqlite", load_rungs())
    assert gate.passed, gate.detail
    assert "data/orm/seed_1000: 1,000 vs core 1 (declared: add_all" in gate.detail
    assert "data/orm+expire_on_commit/create: 3 vs orm 1 (declared: expire_on_commit" in (
        gate.detail
    )
    assert "data/orm/get_one: 2 vs core 1 (declared: selectinload" in gate.detail
    assert "data/orm/list_1000: 3 vs core 1 (declared: selectinload" in gate.detail
    fewer = gate.detail.split("fewer statements than the baseline: ", 1)[1]
    assert "data/orm+identity_map/get_one: 0 vs orm 2" in fewer
    assert "data/orm+bulk_insert/seed_1000: 1 vs orm 1,000" in fewer


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        # the ORM sends a third SELECT on get_one: lazy loading, say
        (_timing("orm", 3, "get_one"), "data/orm/get_one: 3 vs core 1, declared at most +1"),
        # a page of a thousand todos whose tags are loaded one todo at a time
        (_timing("orm", 1001, "list_1000"), "data/orm/list_1000: 1,001 vs core 1, declared at"),
        # the ORM sends a second SELECT where no todo is returned
        (_timing("orm", 2, "count"), "data/orm/count: 2 vs core 1, not declared"),
        # Core sends more than the driver alone
        (_timing("core", 2), "data/core/create: 2 vs raw 1, not declared"),
        # the knob sends two more where it declared one
        (
            _timing("orm+expire_on_commit", 4),
            "data/orm+expire_on_commit/create: 4 vs orm 1, declared at most +2",
        ),
        # the Core app's request sends more than its repository does
        (_timing("core", 2, layer="asgi"), "asgi/core/create: 2 vs core 1 (data layer)"),
        # the ORM app's request sends more than the Core app's
        (_timing("orm", 3, layer="asgi"), "asgi/orm/create: 3 vs core 1, not declared"),
    ],
)
def test_the_query_count_gate_fails_a_rung_that_sends_more_than_its_baseline_undeclared(
    bad: Timing, named: str
) -> None:
    timings = [
        t
        for t in good_counts()
        if (t.layer, t.rung, t.operation) != (bad.layer, bad.rung, bad.operation)
    ]
    gate = query_count_gate([*timings, bad], "sqlite", load_rungs())
    assert not gate.passed
    assert named in gate.detail
    assert gate.detail.startswith("more statements than the baseline: ")


def test_a_failing_gate_makes_the_benchmark_exit_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run still writes its report (to show what failed), then exits 1."""
    failing = query_count_gate([_timing("core", 1), _timing("orm", 2)], "sqlite", load_rungs())
    assert not failing.passed

    def measured(*_: object) -> cli.Measured:
        return cli.Measured([Gate("same answers (sqlite)", True, "alike"), failing], "sqlite 3")

    monkeypatch.setattr(cli, "measure_backend", measured)
    code = cli.main(["--layers", "data", "--no-counts", "--output", str(tmp_path)])
    assert code == 1
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "query counts (sqlite) | FAILED" in markdown


@pytest.mark.slow
@pytest.mark.unmeasured  # the second run measures the data layer in process: untraced, as the first
def test_a_tiny_real_run_writes_a_complete_report_and_compares_with_itself(
    smoke_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = smoke_run
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
    servers = ("floor", *(v.name for v in sync_variants()), VARIANT.name)  # the throwaway too
    asynchronous = ("floor-async", *(v.name for v in async_variants()))  # c4 loads them too
    assert apps == {(app, level) for app in servers for level in (1, 4)} | {
        (app, 4) for app in asynchronous
    }
    assert all(run["errors"] == 0 and run["requests"] > 0 for run in report["load"])
    assert report["breakdown"] and report["targets"] and report["conclusions"]
    assert report["settings"]["load_generator_ceiling_rps"] > 0
    assert "× the most any app served here" in (first / "report.md").read_text()
    markdown = (first / "report.md").read_text()
    for heading in (
        "## Gates",
        "## Data layer on sqlite",
        "## How cost grows with rows on sqlite",
        "## Over the wire on sqlite",
        "## Where the time goes",
        "## Targets",
        "## Conclusions",
    ):
        assert heading in markdown
    pngs = sorted(path.name for path in first.glob("*.png"))
    assert pngs == [
        "curves-sqlite.png",
        "ladder-asgi-sqlite.png",
        "ladder-data-sqlite.png",
        "load-sqlite.png",
    ]
    # lists of 1 and 20 rows: a line per rung, with its intervals, on both in-process layers
    fitted = {(c["layer"], c["rung"]) for c in report["curves"] if c["fixed_us"] is not None}
    assert {("data", "raw"), ("data", "core"), ("data", "orm"), ("asgi", "orm")} <= fitted
    assert {("data", "core+kept_open"), ("data", "orm+kept_open")} <= fitted

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
    assert sqlite["get"] == str(queries.SELECT_TODO["sqlite"])
    assert "(SELECT json_group_array(tags.name) FROM todo_tags" in sqlite["get"]
    assert server["get"].endswith("WHERE todos.id = %(id)s")
    assert "ARRAY(SELECT tags.name FROM todo_tags" in server["get"]
    assert "JSON_ARRAYAGG(tags.name)" in statements_for("mariadb")["list"]
    assert server["attach_tags"].endswith("WHERE name IN (__[POSTCOMPILE_names])")
    assert server["insert"].count("%(created_at)s") == 2
    assert statements_for("mariadb")["get_for_update"].endswith("FOR UPDATE")
    assert not sqlite["get_for_update"].endswith("FOR UPDATE")


PLACEHOLDER = re.compile(r"%\(\w+\)s|(?<![:\w]):\w+|\?")
"""A bound parameter in any driver's paramstyle: pyformat, named or qmark."""


def sent_statements(bench: BenchDatabase, rung: Rung, operation: str) -> list[str]:
    """The statements ``rung`` sends for one ``operation``, parameters written as ``?``.

    On PostgreSQL SQLAlchemy's psycopg dialect adds a cast to a parameter bound with a column
    type (``?::TIMESTAMP WITHOUT TIME ZONE``, core_app's timestamps): SQLAlchemy's addition,
    not core_app's SQL, so the driver alone does not send it, and it is taken out here.
    """
    argument = OPERATIONS[operation].arguments(bench, 1)[0]
    raw = rung.name == "raw"
    with driver(bench).counting() if raw else counting_engine(bench.engine) as counter:
        rung.implementations[operation](bench, argument)
    if OPERATIONS[operation].adds_rows:
        bench.remove_rows_after_seed()
    casts = {f"?::{column.type.compile(dialect=bench.engine.dialect)}" for column in todos.c}
    statements = []
    for statement in counter.statements:
        written = PLACEHOLDER.sub("?", statement)
        for cast in casts:
            written = written.replace(cast, "?")
        statements.append(written)
    return statements


def test_the_raw_rung_sends_the_core_apps_own_statements_for_every_operation(
    bench: BenchDatabase,
) -> None:
    """What reaches each driver, not what is written down: the raw rung's cursor and the core
    rung's engine (core_app's repository through SQLAlchemy) send the same SQL, but for the
    paramstyle, operation by operation (the insert series on both is INSERT_MANY, the SQL
    family's bulk insert, which has no twin in core_app)."""
    rungs = load_rungs()
    for operation in OPERATIONS:
        raw = sent_statements(bench, rungs["raw"], operation)
        core = sent_statements(bench, rungs["core"], operation)
        assert raw and raw == core, operation


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
