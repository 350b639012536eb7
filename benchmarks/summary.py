"""Turn raw samples into reported figures: medians, intervals and paired ratios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.ladder import FLOOR_DEPENDENCY, RAW, bench_variants
from benchmarks.measure import Variant
from benchmarks.results import Ratio, Timing
from benchmarks.stats import bootstrap_median_interval, make_ratio


def extra_ratios(rung: str) -> tuple[str, ...]:
    """Ratios reported besides the one against a rung's baseline, where both exist.

    A variant with a baseline variant (orm) is also set against the raw driver: the whole
    data-layer ladder. A variant without one (core) is also set against the floor with a
    do-nothing dependency: the data layer's share of a request once FastAPI's dependency
    hops are counted on both sides.
    """
    for variant in bench_variants():
        if variant.name == rung:
            return (RAW,) if variant.baseline is not None else (FLOOR_DEPENDENCY,)
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
