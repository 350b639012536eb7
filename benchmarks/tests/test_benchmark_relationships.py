"""Tags: the seeded tags, the tag operations and the loading-strategy rungs.

What is checked here is what the figures stand on: every rung returns the same page, the lazy
rung sends one statement per todo and the others a constant number, the gate holds each to
what it declares, and the seed is the same on every run.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from benchmarks.awaiting import perform
from benchmarks.counting import counting_engine
from benchmarks.data_layer import queries_per_operation
from benchmarks.database import MAX_TAGS_PER_TODO, TAG_NAMES, BenchDatabase, seeded_tags
from benchmarks.gates import query_count_gate
from benchmarks.registry import OPERATIONS, TAG_OPERATIONS, load_rungs
from benchmarks.relationship_report import relationship_sections, relationship_sentence
from benchmarks.report import render_markdown
from benchmarks.results import SCHEMA_VERSION, Interval, LoadRun, Report, Timing
from benchmarks.rungs.loading import LOADING_OPERATIONS, page_statement
from benchmarks.tests.test_benchmark_invalid_cells import cells
from benchmarks.tests.test_benchmark_report import ratio as report_ratio
from benchmarks.tests.test_benchmark_report import timing as report_timing
from benchmarks.verdict import the_answer
from benchmarks.workloads import FILTER_TAG
from orm_app import repository
from todo_contract.table import todo_tags
from todo_contract.variants import variants


def test_the_seeded_tags_are_the_same_on_every_call_and_spread_over_fifty_names() -> None:
    first, second = seeded_tags(), seeded_tags()
    assert first == second
    assert seeded_tags(seed=1) != first
    assert len(first) == 1000
    assert all(0 <= len(names) <= MAX_TAGS_PER_TODO for names in first)
    assert all(names == sorted(set(names)) for names in first)
    used = Counter(name for names in first for name in names)
    assert set(used) == set(TAG_NAMES) and len(TAG_NAMES) == 50
    # every count from 0 to 5 occurs, about 2.5 tags per todo
    assert {len(names) for names in first} == set(range(MAX_TAGS_PER_TODO + 1))
    assert 2.2 < sum(used.values()) / len(first) < 2.8
    assert used[FILTER_TAG] >= 20  # list_by_tag's page is full


def test_the_benchmark_database_carries_the_seeded_tags(bench: BenchDatabase) -> None:
    with bench.engine.connect() as connection:
        links = connection.execute(select(func.count()).select_from(todo_tags)).scalar_one()
    assert links == sum(len(names) for names in seeded_tags())
    page = load_rungs()["core"].implementations["list_20"](bench, None)
    assert [todo.tags for todo in page] == seeded_tags()[:20]


def test_every_rung_returns_the_same_pages_with_their_tags(bench: BenchDatabase) -> None:
    """The loading strategies, the knobs, the kept-open rungs and the async ones: the same todos,
    tags and all, as the raw driver (a strategy that dropped rows or tags would be timed doing
    less)."""
    rungs = load_rungs()
    for operation in LOADING_OPERATIONS:
        expected = rungs["raw"].implementations[operation](bench, None)
        assert expected and any(todo.tags for todo in expected)
        for rung in rungs.values():
            if operation in rung.implementations and rung.runs_on(bench.backend):
                answer = perform(bench, rung.implementations[operation], None)
                assert answer == expected, (rung.name, operation)
                if rung.after_sample is not None:
                    rung.after_sample(bench)
    assert all(FILTER_TAG in todo.tags for todo in expected)


@pytest.mark.unmeasured  # 1,001 statements through the ORM, traced for nothing new
def test_the_lazy_rung_sends_one_statement_per_todo_and_the_others_a_constant_number(
    bench: BenchDatabase,
) -> None:
    rungs = load_rungs()
    sent = {
        (rung, operation): queries_per_operation(bench, rungs[rung], operation)
        for rung in ("raw", "core", "core+two_statements", "orm", "orm+lazy")
        for operation in ("list_20", "list_1000")
    } | {
        (rung, operation): queries_per_operation(bench, rungs[rung], operation)
        for rung in ("orm+joinedload", "orm+subqueryload")
        for operation in ("list_20", "list_1000")
    }
    assert sent[("orm+lazy", "list_20")] == 21
    assert sent[("orm+lazy", "list_1000")] == 1001
    for rung, expected in {
        "raw": (1, 1),
        "core": (1, 1),
        "core+two_statements": (2, 2),
        "orm": (2, 3),  # selectinload: 500 ids per SELECT
        "orm+joinedload": (1, 1),
        "orm+subqueryload": (2, 2),
    }.items():
        assert (sent[(rung, "list_20")], sent[(rung, "list_1000")]) == expected, rung


def test_the_strategy_rungs_send_the_apps_page_query_with_their_own_loader_option(
    bench: BenchDatabase,
) -> None:
    """With the app's own option the strategy rungs' page query is the repository's: the
    statements sent are the ``orm`` rung's, so a strategy rung differs only in its option."""
    orm = next(variant for variant in variants() if variant.family == "orm")
    query = LOADING_OPERATIONS["list_by_tag"]
    own = select(orm.module("models").Todo).options(repository.load_tags())
    copied = page_statement(orm, query, repository.load_tags())
    assert str(copied.compile(bench.engine)) != str(own.compile(bench.engine))  # it filters
    with orm.module("db").open_unit(bench.database, write=False) as session:
        via_copy = [todo.id for todo in session.scalars(copied)]
        via_app = [todo.id for todo in repository.list_todos(session, query)]
    assert via_copy == via_app and len(via_app) == 20


def test_the_app_loads_tags_with_selectinload_as_the_report_says(bench: BenchDatabase) -> None:
    """The report names the ``orm`` rung's strategy "selectinload": its second statement is
    selectinload's (the page's ids in an IN list), not a join or a subquery."""
    rung = load_rungs()["orm"]
    with counting_engine(bench.engine) as counter:
        rung.implementations["list_20"](bench, None)
    page, tags = counter.statements
    assert "todo_tags" not in page
    assert "IN (" in tags and "todo_tags" in tags and "todos" not in tags.split("WHERE")[0]


def test_the_tag_operations_have_an_endpoint_and_every_main_rung(bench: BenchDatabase) -> None:
    rungs = load_rungs()
    for operation in TAG_OPERATIONS:
        assert OPERATIONS[operation].http is not None
        answers = []
        for name in ("raw", "core", "orm"):
            argument = OPERATIONS[operation].arguments(bench, 1)[0]
            answers.append(rungs[name].implementations[operation](bench, argument))
            if OPERATIONS[operation].adds_rows:
                bench.remove_rows_after_seed()
        if operation in ("create_tagged", "replace_tags"):
            assert len({tuple(answer.tags) for answer in answers}) == 1, operation
            assert len(answers[0].tags) == 3
        else:
            assert answers[0] == answers[1] == answers[2], operation
            assert len(answers[0]) == (50 if operation == "tag_counts" else 20)


def _timing(rung: str, queries: float, operation: str = "list_20") -> Timing:
    return Timing(
        layer="data",
        backend="sqlite",
        rung=rung,
        operation=operation,
        unit="us/op",
        operations_per_sample=1,
        samples=[1.0],
        interval=Interval(1.0, 1.0, 1.0),
        queries_per_operation=queries,
    )


def strategy_counts() -> list[Timing]:
    return [
        _timing("raw", 1),
        _timing("core", 1),
        _timing("core+two_statements", 2),
        _timing("orm", 2),
        _timing("orm+lazy", 21),
        _timing("orm+joinedload", 1),
        _timing("orm+subqueryload", 2),
        _timing("core", 1, "list_1000"),
        _timing("orm", 3, "list_1000"),
        _timing("orm+lazy", 1001, "list_1000"),
    ]


def test_the_query_count_gate_passes_the_strategies_as_they_send() -> None:
    gate = query_count_gate(strategy_counts(), "sqlite", load_rungs())
    assert gate.passed, gate.detail
    assert "data/orm+lazy/list_20: 21 vs orm 2 (declared: lazyload" in gate.detail
    assert "data/orm+lazy/list_1000: 1,001 vs orm 3 (declared: lazyload" in gate.detail
    assert "data/core+two_statements/list_20: 2 vs core 1 (declared" in gate.detail
    assert "data/orm+joinedload/list_20: 1 vs orm 2" in gate.detail.split("fewer", 1)[1]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        # joinedload falling into N+1 (say, a second relationship left lazy)
        (_timing("orm+joinedload", 21), "data/orm+joinedload/list_20: 21 vs orm 2, not declared"),
        # lazyload sending more than one SELECT per todo
        (_timing("orm+lazy", 42), "data/orm+lazy/list_20: 42 vs orm 2, declared at most +20"),
        # Core's two-statement rung sending one per todo
        (
            _timing("core+two_statements", 21),
            "data/core+two_statements/list_20: 21 vs core 1, declared at most +1",
        ),
    ],
)
def test_the_query_count_gate_fails_a_strategy_that_sends_more_than_it_declares(
    bad: Timing, named: str
) -> None:
    timings = [t for t in strategy_counts() if (t.rung, t.operation) != (bad.rung, bad.operation)]
    gate = query_count_gate([*timings, bad], "sqlite", load_rungs())
    assert not gate.passed
    assert named in gate.detail


# --- the report's section and the answer's sentence, from fabricated figures ---------------------

STRATEGY_TIMES = {
    # rung: (list_20 µs, its statements, list_1000 µs, its statements)
    "raw": (150.0, 1, 8000.0, 1),
    "core": (300.0, 1, 12000.0, 1),
    "core+two_statements": (400.0, 2, 14000.0, 2),
    "orm": (1200.0, 2, 40000.0, 3),
    "orm+lazy": (3600.0, 21, 280000.0, 1001),
    "orm+joinedload": (1500.0, 1, 36000.0, 1),
    "orm+subqueryload": (1300.0, 2, 60000.0, 2),
}


def strategy_report(load: list[LoadRun] | None = None) -> Report:
    """Data-layer timings of every strategy rung (samples ±3% in step, so paired ratios are
    exact), the headline in process, and the given over-the-wire cells."""
    timings = []
    for rung, (small, small_q, large, large_q) in STRATEGY_TIMES.items():
        for operation, median, queries, orm in (
            ("list_20", small, small_q, STRATEGY_TIMES["orm"][0]),
            ("list_1000", large, large_q, STRATEGY_TIMES["orm"][2]),
        ):
            ratios = []
            if rung.startswith("orm+"):  # a strategy rung's ratio against its baseline
                value = median / orm
                ratios = [report_ratio(rung, "orm", value, value * 0.98, value * 1.02)]
            timings.append(report_timing("data", rung, operation, median, queries, ratios))
    timings += [
        report_timing("asgi", "core", "list_20", 600.0, 1),
        report_timing(
            "asgi", "orm", "list_20", 1500.0, 2, [report_ratio("orm", "core", 2.5, 2.4, 2.6)]
        ),
    ]
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="default",
        environment={},
        settings={},
        gates=[],
        timings=timings,
        load=load or [],
        breakdown=[],
        targets=[],
        conclusions=[],
    )


def test_the_relationship_section_states_n_plus_one_statements_and_ratios() -> None:
    section = "\n".join(relationship_sections(strategy_report()))
    assert section.startswith("## Relationships: loading each todo's tags")
    assert "| orm+lazy | 3,600 [3,530–3,670] µs, 21 statements ⚠ one per todo (N+1) |" in section
    assert "1,001 statements ⚠ one per todo (N+1)" in section
    assert "| orm as shipped (selectinload) | 1,200 [1,180–1,220] µs, 2 statements |" in section
    assert "⚠" not in section.split("| orm as shipped", 1)[1].split("\n", 1)[0]
    # lazy against selectinload and against core, at 20 and 1,000 rows
    assert (
        "list_20: lazyload (N+1) sends 21 statements against 2 statements for selectinload, "
        "and takes 3.00× [3.00–3.00] its time and 12.00× [12.00–12.00] the time of core"
    ) in section
    assert "list_1000: lazyload (N+1) sends 1,001 statements against 3 statements" in section
    assert "takes 7.00× [7.00–7.00] its time and 23.33× [23.33–23.33]" in section
    # the winner differs with the size: selectinload on 20, joinedload on 1,000
    assert "list_20: the lowest median time among the ORM strategies is **orm as shipped" in section
    assert "list_1000: the lowest median time among the ORM strategies is **orm+joinedload**" in (
        section
    )
    assert "the best ORM strategy, orm+joinedload (1 statement), takes 3.00× [3.00–3.00]" in section
    assert "raiseload has no rung" in section
    assert "in process: orm (2 statements) takes 2.50× [2.40–2.60] the time of core" in section


def test_the_relationship_section_shows_an_invalid_cell_and_takes_no_ratio_from_it() -> None:
    valid = cells("list_20", {})
    invalid = cells("list_20", {"404": 5})
    assert any(run.ratios for run in valid)  # a valid pair is compared…
    fine = "\n".join(relationship_sections(strategy_report(valid)))
    assert "over the wire, list_20 at c16: orm/core" in fine
    broken = "\n".join(relationship_sections(strategy_report(invalid)))
    line = next(line for line in broken.splitlines() if "over the wire, list_20 at c16" in line)
    assert "**invalid** (orm 5 unexpected (404 ×5)): no ratio is taken from it" in line
    assert "×" not in line.split("no ratio")[0].replace("404 ×5", "")


def test_the_relationship_section_is_absent_when_no_strategy_was_measured() -> None:
    report = strategy_report()
    report.timings = [t for t in report.timings if t.rung in ("raw", "core", "orm")]
    assert relationship_sections(report) == []
    assert relationship_sentence(report, "sqlite") is None
    assert not any("relationships" in sentence for sentence in the_answer(report))


def test_the_answer_gains_one_sentence_on_relationships() -> None:
    answer = the_answer(strategy_report())
    found = [sentence for sentence in answer if "relationships" in sentence]
    assert len(found) == 1
    assert found[0] == (
        "On sqlite, relationships: loading each todo's tags when it is read (lazyload, the N+1 "
        "trap) sends 21 statements for a page of 20 and takes 3.00× [3.00–3.00] the time of "
        "the app's selectinload (7.00× [7.00–7.00] for 1,000 rows, 1,001 statements); the "
        "fastest ORM strategy here, orm as shipped (selectinload), takes 4.00× [4.00–4.00] "
        "the time of core's single statement."
    )


def test_the_knob_sentence_leaves_the_loading_strategies_to_the_relationships_sentence() -> None:
    answer = the_answer(strategy_report())
    knobs = [sentence for sentence in answer if sentence.startswith("Of the ORM knobs")]
    assert not knobs  # the strategies were the only rungs on orm here
    assert not any("orm+lazy" in sentence or "joinedload" in sentence for sentence in knobs)


def test_the_report_places_the_relationship_section_after_the_cost_curves() -> None:
    markdown = render_markdown(strategy_report(), {})
    assert markdown.index("## Relationships") > markdown.index("## Data layer on sqlite")
    assert markdown.index("## Relationships") < markdown.index("## Over the wire")
