"""Layer (a): the data layer in process — every rung of every operation, interleaved.

A sync rung's sample is ``k`` calls in a row; an async rung's (``Rung.awaits``) is one batch
of ``k`` calls awaited on the benchmark database's event loop (``benchmarks.awaiting``). Both
kinds are interleaved in the same repeats, so an async rung's ratio against its sync twin is
paired like every other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from benchmarks.awaiting import call_all
from benchmarks.counting import counting_engine
from benchmarks.database import BenchDatabase
from benchmarks.measure import Plan, Variant, run_interleaved
from benchmarks.registry import OPERATIONS, Implementation, Rung
from benchmarks.results import Timing
from benchmarks.summary import timings_from_variants

COUNTED_OPERATIONS = 4


def sampler(
    bench: BenchDatabase,
    operation: str,
    function: Implementation,
    after: Callable[[BenchDatabase], None] | None = None,
    *,
    awaits: bool = False,
) -> Callable[[int], float]:
    """Take one sample: make arguments, time the calls (awaited as one batch when the rung
    ``awaits``), then (untimed) let the rung close what it kept open and restore the table's
    size."""
    workload = OPERATIONS[operation]

    def sample(k: int) -> float:
        arguments = workload.arguments(bench, k)
        elapsed = call_all(bench, function, arguments, awaits=awaits)
        if after is not None:
            after(bench)
        if workload.adds_rows:
            bench.remove_rows_after_seed()
        return elapsed

    return sample


def groups_for(
    bench: BenchDatabase, rungs: Sequence[Rung], operations: Sequence[str]
) -> list[list[Variant]]:
    """One group per operation, holding every rung that implements it (on this backend)."""
    groups = []
    for operation in operations:
        group = [
            Variant(
                (rung.name, operation),
                sampler(
                    bench,
                    operation,
                    rung.implementations[operation],
                    rung.after_sample,
                    awaits=rung.awaits,
                ),
            )
            for rung in rungs
            if operation in rung.implementations and rung.runs_on(bench.backend)
        ]
        if group:
            groups.append(group)
    return groups


def queries_per_operation(bench: BenchDatabase, rung: Rung, operation: str) -> float:
    """Statements ``rung`` sends per ``operation``, averaged over a few calls."""
    function = rung.implementations[operation]
    workload = OPERATIONS[operation]
    arguments: list[Any] = workload.arguments(bench, COUNTED_OPERATIONS)
    counting = rung.counting(bench) if rung.counting else counting_engine(bench.engine)
    with counting as counter:
        call_all(bench, function, arguments, awaits=rung.awaits)
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


def sample_count(
    rungs: Sequence[Rung], operations: Sequence[str], plan: Plan, backend: str | None = None
) -> int:
    """How many samples ``measure_data_layer`` will take (for the progress bar)."""
    pairs = sum(
        1
        for rung in rungs
        if backend is None or rung.runs_on(backend)
        for operation in operations
        if operation in rung.implementations
    )
    return pairs * (plan.warmups + plan.repeats)


def limited(rungs: Sequence[Rung], async_operations: Sequence[str]) -> list[Rung]:
    """``rungs`` with each async one (``Rung.awaits``) limited to ``async_operations``: a
    profile measures the asyncio rungs on its headline operations only, or on all of them."""
    return [
        replace(
            rung,
            implementations={
                name: function
                for name, function in rung.implementations.items()
                if name in async_operations
            },
        )
        if rung.awaits
        else rung
        for rung in rungs
    ]
