"""The ladder's names, read from the variant registry: what every layer, chart and table uses.

The benchmark owns two baselines that are not variants: the raw DB-API driver at the data
layer (``raw``) and the framework floor in process and over the wire (``floor``, and
``floor+dependency`` in process). Every other rung is a registered variant
(``todo_contract.variants``) or, at the data layer, a knob on one. A variant whose baseline is
None is measured against the benchmark's own baseline of the layer; its ratios are the
"reference" rungs the others are compared with. Nothing outside the registry names a variant.

The asyncio flavour of each (a variant of style ``async``) has baselines of its own beside
them: the raw async driver (``raw-async``: aiosqlite, asyncpg, aiomysql; on PostgreSQL also
``raw-async+psycopg``, psycopg 3's async mode) and the async floor (``floor-async``: the same
routes as ``async def``). Each async rung has a *sync twin* — the same thing in the sync style
(``core-async`` and ``core``, ``raw-async`` and ``raw``) — and its ratio against the twin is
what asyncio changes.
"""

from __future__ import annotations

from todo_contract.variants import Family, Variant, variants

RAW = "raw"
FLOOR = "floor"
FLOOR_DEPENDENCY = "floor+dependency"
RAW_ASYNC = "raw-async"
PSYCOPG = "psycopg"
"""The knob of the async rungs on PostgreSQL that swaps asyncpg for psycopg 3's async mode
(``raw-async+psycopg``, ``core-async+psycopg``): the same driver as the sync rungs, so that
asyncio and the driver can be told apart."""
FLOOR_ASYNC = "floor-async"
FLOOR_ASYNC_DEPENDENCY = "floor-async+dependency"
FLOORS = (FLOOR, FLOOR_DEPENDENCY, FLOOR_ASYNC, FLOOR_ASYNC_DEPENDENCY)
"""The in-process apps with no database (``benchmarks.floor``), sync and async."""
ASYNC_OWN = (RAW_ASYNC, f"{RAW_ASYNC}+{PSYCOPG}", FLOOR_ASYNC, FLOOR_ASYNC_DEPENDENCY)
"""The benchmark's own async rungs (not variants)."""
OWN_TWINS = {
    RAW_ASYNC: RAW,
    f"{RAW_ASYNC}+{PSYCOPG}": RAW,
    FLOOR_ASYNC: FLOOR,
    FLOOR_ASYNC_DEPENDENCY: FLOOR_DEPENDENCY,
}
"""The sync twin of each of the benchmark's own async rungs."""
LAYER_BASELINE = {"data": RAW, "asgi": FLOOR, "wire": FLOOR}
"""What a variant with no baseline of its own is measured against, per layer."""
GREY = "tab:gray"


def bench_variants() -> list[Variant]:
    """The variants the benchmark measures: every registered one, sync and async, in
    registration order.

    Read at every use, not at import, so a variant registered later (a test's throwaway one)
    is measured too.
    """
    return variants()


def sync_variants() -> list[Variant]:
    """The measured variants of style sync (the main ladder)."""
    return [variant for variant in bench_variants() if variant.style == "sync"]


def async_variants() -> list[Variant]:
    """The measured variants of style async."""
    return [variant for variant in bench_variants() if variant.style == "async"]


def is_async(rung: str) -> bool:
    """True for a rung of the asyncio style: an async variant, a knob on one, or one of the
    benchmark's own async rungs (``ASYNC_OWN``)."""
    if rung in ASYNC_OWN:
        return True
    head = knob_of(rung) or rung
    return any(v.name == head and v.style == "async" for v in bench_variants())


def sync_twin(rung: str) -> str | None:
    """The sync rung an async one is compared with to see what asyncio changes: the first
    sync variant of the same family (``orm-async`` → ``orm``), the sync driver or floor for
    the benchmark's own (``raw-async`` → ``raw``), a psycopg knob's variant's twin
    (``core-async+psycopg`` → ``core``: the same driver, sync). None for a sync rung."""
    if rung in OWN_TWINS:
        return OWN_TWINS[rung]
    head = knob_of(rung) or rung
    variant = next((v for v in bench_variants() if v.name == head), None)
    if variant is None or variant.style != "async":
        return None
    twin = next((v for v in sync_variants() if v.family == variant.family), None)
    return None if twin is None else twin.name


def async_twin(rung: str) -> str | None:
    """The async rung whose sync twin ``rung`` is (the first), or None."""
    candidates = [*ASYNC_OWN, *(v.name for v in async_variants())]
    return next((name for name in candidates if sync_twin(name) == rung), None)


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
    """The first measured sync variant of ``family`` (what the ORM knob rungs are knobs on),
    or None when no variant of that family is registered."""
    return next((variant for variant in sync_variants() if variant.family == family), None)


def compared_pairs() -> list[tuple[str, str]]:
    """(variant, its baseline variant) for every sync variant that has one: orm − core today.
    The async variants' pairs are ``async_pairs``'."""
    return [(v.name, v.baseline) for v in sync_variants() if v.baseline is not None]


def async_pairs() -> list[tuple[str, str]]:
    """(async variant, its baseline) for every async variant whose baseline is async too:
    orm-async − core-async, the ORM's cost under asyncio."""
    names = {v.name for v in async_variants()}
    return [(v.name, v.baseline) for v in async_variants() if v.baseline in names]


def twin_pairs() -> list[tuple[str, str]]:
    """(async variant, its sync twin) for every async variant that has one: what asyncio
    changes per family (core-async/core, orm-async/orm)."""
    return [(v.name, twin) for v in async_variants() if (twin := sync_twin(v.name)) is not None]


def data_gaps() -> list[tuple[str, str]]:
    """Every data-layer gap the profiles explain: each sync variant over its baseline rung
    (the async rungs' gaps are split along the ladder, ``benchmarks.async_report``)."""
    return [(v.name, baseline(v, "data")) for v in sync_variants()]


ASYNC_GREY = "tab:olive"


def colour(rung: str) -> str | None:
    """A rung's colour: grey for the benchmark's baselines (olive for their async twins), the
    registry's for a variant, None for anything else (the caller picks a free one)."""
    if rung in (RAW, FLOOR):
        return GREY
    if rung in (RAW_ASYNC, FLOOR_ASYNC):
        return ASYNC_GREY
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
