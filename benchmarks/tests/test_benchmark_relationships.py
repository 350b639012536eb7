"""Tags: the seeded tags, the tag operations and the loading-strategy rungs.

What is checked here is what the figures stand on: every rung returns the same page, the lazy
rung sends one statement per todo and the others a constant number, the gate holds each to
what it declares, and the seed is the same on every run.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from benchmarks.counting import counting_engine
from benchmarks.data_layer import queries_per_operation
from benchmarks.database import MAX_TAGS_PER_TODO, TAG_NAMES, BenchDatabase, seeded_tags
from benchmarks.gates import query_count_gate
from benchmarks.registry import OPERATIONS, TAG_OPERATIONS, load_rungs
from benchmarks.results import Interval, Timing
from benchmarks.rungs.loading import LOADING_OPERATIONS, page_statement
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
    """The loading strategies, the knobs and the kept-open rungs: the same todos, tags and all,
    as the raw driver (a strategy that dropped rows or tags would be timed doing less)."""
    rungs = load_rungs()
    for operation in LOADING_OPERATIONS:
        expected = rungs["raw"].implementations[operation](bench, None)
        assert expected and any(todo.tags for todo in expected)
        for rung in rungs.values():
            if operation in rung.implementations:
                answer = rung.implementations[operation](bench, None)
                assert answer == expected, (rung.name, operation)
                if rung.after_sample is not None:
                    rung.after_sample(bench)
    assert all(FILTER_TAG in todo.tags for todo in expected)


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
    own = select(orm.module("models").Todo).options(repository.LOAD_TAGS)
    copied = page_statement(orm, query, repository.LOAD_TAGS)
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
