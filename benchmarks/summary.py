"""Turn raw samples into reported figures: medians, intervals and paired ratios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.measure import Variant
from benchmarks.results import Ratio, Timing
from benchmarks.stats import bootstrap_median_interval, make_ratio

EXTRA_RATIOS = {"orm": ("raw",), "core": ("floor+dependency",)}
"""Ratios reported besides the one against a rung's baseline, where both exist: orm/raw
(the whole data-layer ladder) and core/floor+dependency (the data layer's share of a
request once FastAPI's dependency hops are counted on both sides)."""


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
        denominators = [baselines.get(rung), *EXTRA_RATIOS.get(rung, ())]
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
