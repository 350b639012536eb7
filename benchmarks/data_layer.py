"""Layer (a): the data layer in process — every rung of every operation, interleaved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.counting import counting_engine
from benchmarks.database import BenchDatabase
from benchmarks.ladder import RAW
from benchmarks.measure import Plan, Variant, run_interleaved, timed
from benchmarks.registry import OPERATIONS, Implementation, Rung
from benchmarks.results import Timing
from benchmarks.rungs.raw import driver
from benchmarks.summary import timings_from_variants

COUNTED_OPERATIONS = 4


def sampler(
    bench: BenchDatabase,
    operation: str,
    function: Implementation,
    after: Callable[[BenchDatabase], None] | None = None,
) -> Callable[[int], float]:
    """Take one sample: make arguments, time the calls, then (untimed) let the rung close
    what it kept open and restore the table's size."""
    workload = OPERATIONS[operation]

    def sample(k: int) -> float:
        arguments = workload.arguments(bench, k)
        elapsed = timed(lambda argument: function(bench, argument), arguments)
        if after is not None:
            after(bench)
        if workload.adds_rows:
            bench.remove_rows_after_seed()
        return elapsed

    return sample


def groups_for(
    bench: BenchDatabase, rungs: Sequence[Rung], operations: Sequence[str]
) -> list[list[Variant]]:
    """One group per operation, holding every rung that implements it."""
    groups = []
    for operation in operations:
        group = [
            Variant(
                (rung.name, operation),
                sampler(bench, operation, rung.implementations[operation], rung.after_sample),
            )
            for rung in rungs
            if operation in rung.implementations
        ]
        if group:
            groups.append(group)
    return groups


def queries_per_operation(bench: BenchDatabase, rung: Rung, operation: str) -> float:
    """Statements ``rung`` sends per ``operation``, averaged over a few calls."""
    function = rung.implementations[operation]
    workload = OPERATIONS[operation]
    arguments: list[Any] = workload.arguments(bench, COUNTED_OPERATIONS)
    counting = driver(bench).counting() if rung.name == RAW else counting_engine(bench.engine)
    with counting as counter:
        for argument in arguments:
            function(bench, argument)
        if rung.after_sample is not None:
            rung.after_sample(bench)
    if workload.adds_rows:
        bench.remove_rows_after_seed()
    return counter.count / COUNTED_OPERATIONS


def measure_data_layer(
    bench: BenchDatabase,
    rungs: Sequence[Rung],
    operations: Sequence[str],
    plan: Plan,
    *,
    on_sample: Callable[[], None] | None = None,
) -> list[Timing]:
    """Time and count every (rung, operation) pair on ``bench``."""
    groups = groups_for(bench, rungs, operations)
    ks = run_interleaved(groups, plan, on_sample=on_sample)
    by_name = {rung.name: rung for rung in rungs}
    queries = {
        variant.key: queries_per_operation(bench, by_name[variant.key[0]], variant.key[1])
        for group in groups
        for variant in group
    }
    baselines = {rung.name: rung.baseline for rung in rungs}
    return timings_from_variants(
        [variant for group in groups for variant in group],
        layer="data",
        backend=bench.backend,
        ks=ks,
        queries=queries,
        baselines=baselines,
    )


def sample_count(rungs: Sequence[Rung], operations: Sequence[str], plan: Plan) -> int:
    """How many samples ``measure_data_layer`` will take (for the progress bar)."""
    pairs = sum(
        1 for rung in rungs for operation in operations if operation in rung.implementations
    )
    return pairs * (plan.warmups + plan.repeats)
