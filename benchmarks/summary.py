"""Turn raw samples into reported figures: medians, intervals and paired ratios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.ladder import (
    FLOOR_ASYNC,
    FLOOR_ASYNC_DEPENDENCY,
    FLOOR_DEPENDENCY,
    OWN_TWINS,
    PSYCOPG,
    RAW,
    RAW_ASYNC,
    bench_variants,
    sync_twin,
)
from benchmarks.measure import Variant
from benchmarks.results import Ratio, Timing
from benchmarks.stats import bootstrap_median_interval, make_ratio


def extra_ratios(rung: str) -> tuple[str, ...]:
    """Ratios reported besides the one against a rung's baseline, where both exist.

    A variant with a baseline variant (orm) is also set against the raw driver: the whole
    data-layer ladder. A variant without one (core) is also set against the floor with a
    do-nothing dependency: the data layer's share of a request once FastAPI's dependency
    hops are counted on both sides.

    An async variant is also set against its sync twin when that is not its baseline
    (orm-async/orm: what asyncio changes) and against the async ladder's own baselines: the
    raw async driver, and for the one measured against its twin (core-async) the async floor
    with and without a dependency. A psycopg knob (``core-async+psycopg``, ``raw-async+psycopg``)
    is set against its sync twin (the same driver, sync); the async floor with a dependency
    against the sync one's.
    """
    for variant in bench_variants():
        if variant.name != rung:
            continue
        if variant.style == "sync":
            return (RAW,) if variant.baseline is not None else (FLOOR_DEPENDENCY,)
        twin = sync_twin(rung)
        extras = [] if twin is None or twin == variant.baseline else [twin]
        if variant.baseline == twin:
            extras += [FLOOR_ASYNC, FLOOR_ASYNC_DEPENDENCY]
        return (*extras, RAW_ASYNC)
    if rung.endswith(f"+{PSYCOPG}"):
        twin = sync_twin(rung)
        return () if twin is None else (twin,)
    if rung == FLOOR_ASYNC_DEPENDENCY:
        return (OWN_TWINS[rung],)
    return ()


def timings_from_variants(
    variants: Sequence[Variant],
    *,
    layer: str,
    backend: str,
    ks: Mapping[tuple[str, str], int],
    queries: Mapping[tuple[str, str], float | None],
    baselines: Mapping[str, str | None],
) -> list[Timing]:
    """One Timing per variant, with its ratios against its baseline (same operation)."""
    by_key = {variant.key: variant for variant in variants}
    timings = []
    for variant in variants:
        rung, operation = variant.key
        ratios: list[Ratio] = []
        denominators = [baselines.get(rung), *extra_ratios(rung)]
        for denominator in denominators:
            if denominator is None:
                continue
            other = by_key.get((denominator, operation))
            if other is not None:
                ratios.append(make_ratio(rung, denominator, variant.samples, other.samples))
        timings.append(
            Timing(
                layer=layer,
                backend=backend,
                rung=rung,
                operation=operation,
                unit="us/op",
                operations_per_sample=ks[variant.key],
                samples=[round(sample, 3) for sample in variant.samples],
                interval=bootstrap_median_interval(variant.samples),
                queries_per_operation=queries.get(variant.key),
                ratios=ratios,
            )
        )
    return timings
