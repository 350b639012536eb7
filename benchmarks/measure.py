"""Timing with interleaved repeats: the measurement loop shared by the in-process layers.

A *sample* runs one operation ``k`` times on one variant and divides the elapsed time by
``k``. A *repeat* takes one sample of every variant, in a shuffled order that changes from
repeat to repeat, so that drift (another process waking up, the CPU clocking down) hits
every variant alike instead of whichever happened to run last. The first repeats are
warm-ups and are discarded. Ratios are taken between variants of the same repeat.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.stats import interleaved_schedule

Sampler = Callable[[int], float]
"""Runs the variant ``k`` times and returns the elapsed seconds."""


@dataclass
class Variant:
    """One thing to time: a key (e.g. ``("orm", "get_one")``) and how to take a sample."""

    key: tuple[str, str]
    sample: Sampler
    samples: list[float] = field(default_factory=list)  # µs per operation, one per repeat


@dataclass(frozen=True)
class Plan:
    """How much to measure: a profile's knobs for the in-process layers."""

    repeats: int
    warmups: int
    sample_seconds: float  # target duration of one sample
    max_operations: int = 2000


def operations_per_sample(variants: Sequence[Variant], plan: Plan) -> int:
    """The ``k`` that makes a sample last about ``plan.sample_seconds`` for these variants.

    All variants of one operation use the same ``k`` (from the median single-run time), so
    they do the same amount of work per sample.
    """
    for variant in variants:  # the first call pays for imports, caches and thread start-up
        variant.sample(1)
    singles = sorted(max(variant.sample(1), 1e-7) for variant in variants)
    typical = singles[len(singles) // 2]
    return max(1, min(plan.max_operations, int(plan.sample_seconds / typical)))


def run_interleaved(
    groups: Sequence[Sequence[Variant]],
    plan: Plan,
    *,
    seed: int = 0,
    on_sample: Callable[[], None] | None = None,
) -> dict[tuple[str, str], int]:
    """Time every variant of every group; fill ``variant.samples``; return ``k`` per key.

    A group holds the variants that are compared with each other (the rungs of one
    operation); each repeat goes through every group, its variants in a fresh order.
    """
    per_group_k = [operations_per_sample(group, plan) for group in groups]
    ks = {variant.key: k for group, k in zip(groups, per_group_k, strict=True) for variant in group}
    # Everything alive now (modules, apps, engines) moves out of the collector's sight, so a
    # collection during a sample only walks what the sample itself allocated.
    gc.collect()
    gc.freeze()
    try:
        _run_repeats(groups, per_group_k, plan, seed, on_sample)
    finally:
        gc.unfreeze()
    return ks


def _run_repeats(
    groups: Sequence[Sequence[Variant]],
    per_group_k: Sequence[int],
    plan: Plan,
    seed: int,
    on_sample: Callable[[], None] | None,
) -> None:
    """Take every sample: warm-ups first (discarded), then the measured repeats."""
    orders = [
        interleaved_schedule(list(range(len(group))), plan.warmups + plan.repeats, seed=seed + i)
        for i, group in enumerate(groups)
    ]
    for repeat in range(plan.warmups + plan.repeats):
        for group, k, order in zip(groups, per_group_k, orders, strict=True):
            gc.collect()  # once per group and repeat: a full collection can cost milliseconds
            for index in order[repeat]:
                variant = group[index]
                elapsed = variant.sample(k)
                if repeat >= plan.warmups:
                    variant.samples.append(elapsed / k * 1e6)
                if on_sample is not None:
                    on_sample()


def timed(function: Callable[[Any], Any], arguments: Sequence[Any]) -> float:
    """Seconds to call ``function`` on each argument in turn."""
    start = time.perf_counter()
    for argument in arguments:
        function(argument)
    return time.perf_counter() - start
