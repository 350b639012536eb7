"""The ladder's names, read from the variant registry: what every layer, chart and table uses.

The benchmark owns two baselines that are not variants: the raw DB-API driver at the data
layer (``raw``) and the framework floor in process and over the wire (``floor``, and
``floor+dependency`` in process). Every other rung is a registered variant
(``todo_contract.variants``) or, at the data layer, a knob on one. A variant whose baseline is
None is measured against the benchmark's own baseline of the layer; its ratios are the
"reference" rungs the others are compared with. Nothing outside the registry names a variant.
"""

from __future__ import annotations

from todo_contract.variants import Family, Variant, variants

RAW = "raw"
FLOOR = "floor"
FLOOR_DEPENDENCY = "floor+dependency"
FLOORS = (FLOOR, FLOOR_DEPENDENCY)
"""The in-process apps with no database (``benchmarks.floor``)."""
LAYER_BASELINE = {"data": RAW, "asgi": FLOOR, "wire": FLOOR}
"""What a variant with no baseline of its own is measured against, per layer."""
GREY = "tab:gray"


def bench_variants() -> list[Variant]:
    """The variants the benchmark measures: the registered sync ones, in registration order.

    Read at every use, not at import, so a variant registered later (a test's throwaway one)
    is measured too.
    """
    return variants(style="sync")


def variant_names() -> tuple[str, ...]:
    """The measured variants' names, in registration order."""
    return tuple(variant.name for variant in bench_variants())


def baseline(variant: Variant, layer: str) -> str:
    """The rung ``variant``'s ratios are taken against at ``layer``."""
    return variant.baseline or LAYER_BASELINE[layer]


def reference() -> Variant:
    """The first variant measured against the benchmark's own baseline (hand-written SQL
    today): query counts are compared with it and the summary leads with it."""
    return next(variant for variant in bench_variants() if variant.baseline is None)


def family_variant(family: Family) -> Variant | None:
    """The first measured variant of ``family`` (what the ORM knob rungs are knobs on), or
    None when no variant of that family is registered."""
    return next((variant for variant in bench_variants() if variant.family == family), None)


def compared_pairs() -> list[tuple[str, str]]:
    """(variant, its baseline variant) for every variant that has one: orm − core today."""
    return [(v.name, v.baseline) for v in bench_variants() if v.baseline is not None]


def data_gaps() -> list[tuple[str, str]]:
    """Every data-layer gap worth explaining: each variant over its baseline rung."""
    return [(v.name, baseline(v, "data")) for v in bench_variants()]


def colour(rung: str) -> str | None:
    """A rung's colour: grey for the benchmark's baselines, the registry's for a variant,
    None for anything else (the caller picks a free one)."""
    if rung in (RAW, FLOOR):
        return GREY
    return next((v.colour for v in bench_variants() if v.name == rung), None)


def knob_of(rung: str) -> str | None:
    """The variant a knob rung (``<variant>+<knob>``) is a knob on, or None."""
    head, plus, _ = rung.partition("+")
    return head if plus and head in variant_names() else None


def statement_baseline(layer: str, rung: str) -> tuple[str, str] | None:
    """The (layer, rung) whose SQL statement count ``rung``'s is held to, or None.

    At the data layer, the rung's own baseline (orm against core, a knob against the variant
    it is a knob on, core against raw; raw has none). A whole request in process is held to
    its baseline variant's whole request (orm against core) or, for a variant with no
    baseline variant, to its own data layer: a request sends what its repository sends, no
    more. The floors send nothing and are held to nothing.
    """
    if rung in FLOORS or rung == RAW:
        return None
    variant = next((v for v in bench_variants() if v.name == rung), None)
    if layer == "data":
        if variant is not None:
            return ("data", baseline(variant, "data"))
        knob = knob_of(rung)
        return None if knob is None else ("data", knob)
    if variant is None:
        return None
    return (layer, variant.baseline) if variant.baseline else ("data", rung)
