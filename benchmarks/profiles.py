"""How much each profile measures: --quick (≤ 1 min), default (≤ 3 min on SQLite), --full."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.instructions import CountPlan
from benchmarks.measure import Plan
from benchmarks.registry import HTTP_OPERATIONS, OPERATIONS, TAG_OPERATIONS, series_operations
from benchmarks.wire import WireConfig, WirePlan

EVERY_OPERATION = tuple(OPERATIONS)
WITHOUT_TAG_OPERATIONS = tuple(name for name in OPERATIONS if name not in TAG_OPERATIONS)
"""The default profile's operations: all but the four only tags have (the lists, which carry
tags, are in; so are the loading strategies, on list_20 and list_1000 at the data layer)."""
HTTP_ENDPOINTS = HTTP_OPERATIONS
FLOOR_ENDPOINTS = ("get_one", "list_20")
"""The endpoints the framework floor is loaded on too (it answers every endpoint, but what it
costs is the same on all of them: two are enough to show it)."""


@dataclass(frozen=True)
class Profile:
    """The knobs of one profile."""

    name: str
    operations: tuple[str, ...]
    data: Plan
    asgi: Plan
    wire: WirePlan
    counts: CountPlan | None = None  # instruction counts (callgrind); None: not counted
    async_operations: tuple[str, ...] = ()
    """The operations the asyncio rungs and apps are measured on in process (the data layer
    and the whole app); over the wire, the configs marked ``asynchronous``."""


def _configs(
    *,
    ladder: tuple[str, ...],
    ladder_levels: tuple[int, ...],
    others: tuple[str, ...],
    other_level: int,
    asynchronous: tuple[tuple[str, int], ...] = (),
) -> tuple[WireConfig, ...]:
    """The ladder's endpoints at every level, the others at one; the (endpoint, level) cells
    in ``asynchronous`` also load the async apps (those of the ladder's endpoints with the
    async floor)."""
    configs = [
        WireConfig(
            endpoint,
            level,
            floor=endpoint in FLOOR_ENDPOINTS,
            asynchronous=(endpoint, level) in asynchronous,
        )
        for endpoint in ladder
        for level in ladder_levels
    ]
    configs += [
        WireConfig(endpoint, other_level, asynchronous=(endpoint, other_level) in asynchronous)
        for endpoint in others
    ]
    return tuple(configs)


ASYNC_HEADLINE = ("get_one", "list_20", "create")
"""The operations the default profile measures the asyncio rungs on in process (and counts
their instructions on): a read of one row, a page of 20, a write."""


HEADLINE_COUNTS = CountPlan(
    # 4 operations per segment (10 before the async rungs doubled the segments: under
    # callgrind the operations themselves, not the probe's start-up, now take most of its
    # time; a count is exact, n only averages what happens now and then, a collection or a
    # cache refill)
    n=4,
    heavy_n=2,
    warmup=1,
    main_ladder_only=True,
    # the targets' two operations (create went when a fresh clone's make bench took 3 min 42 s
    # with it, venv creation included)
    operations=("get_one", "list_20"),
)
"""Instruction counts of the main ladder on three headline operations: callgrind runs the code
about 50 times slower, so the default profile counts these and ``--full`` counts everything."""

SIZE_SERIES = (*series_operations("list"), *series_operations("insert"))
"""Every size of both series: lists of 1 … 1000 rows, inserts of 1 … 1000 rows in one
transaction (``benchmarks.curves`` fits each rung's cost line through them)."""

QUICK_OPERATIONS = {"get_one", "list_20", "list_1000", "count", "create", "update", *SIZE_SERIES}

QUICK = Profile(
    name="quick",
    operations=tuple(name for name in OPERATIONS if name in QUICK_OPERATIONS),
    data=Plan(repeats=3, warmups=1, sample_seconds=0.02),
    asgi=Plan(repeats=3, warmups=1, sample_seconds=0.02),
    async_operations=("get_one", "list_20"),
    wire=WirePlan(
        configs=_configs(
            ladder=("get_one", "list_20", "create"),
            ladder_levels=(1, 16),
            # the writes that consume or change rows, so that a quick run shows them valid
            others=("update", "delete"),
            other_level=16,
            asynchronous=(("get_one", 16),),
        ),
        repeats=2,
        duration_s=0.4,
        warmup_s=0.1,
    ),
)

DEFAULT = Profile(
    name="default",
    operations=WITHOUT_TAG_OPERATIONS,
    # 10 repeats of 15 ms samples (12 before tags, 15 of 20 ms before the size series doubled
    # the in-process samples) and 4 over the wire (5 before tags): tags made every list and
    # the loading strategies' lists of 1,000 slower, and make bench went from 2 min 55 s to
    # 3 min 18 s; with these it took 2 min 54 s (venv present)
    # 8 repeats since the asyncio rungs: a fresh clone's make bench took 3 min 42 s with 10
    # (venv creation, 51 s of it, included)
    data=Plan(repeats=8, warmups=1, sample_seconds=0.015),
    asgi=Plan(repeats=8, warmups=1, sample_seconds=0.015),
    # the asyncio rungs in process on the three headline operations only, and over the wire
    # on get_one and list_20 at c16 (the async floor included): the cells the targets ask
    # for (full: everything, at every level). To make room for them within the 3-minute
    # budget (they added 31 s to make bench, 13 s of it over the wire and 16 s of
    # instruction counts), c64 is loaded on get_one only (enough for the c64 errors target;
    # list_20 and create at c64 went), create at c16 only (its p99 target's level), and
    # list_1000 is no longer loaded over the wire (its windows were 4× the others'); --full
    # keeps them all
    async_operations=ASYNC_HEADLINE,
    wire=WirePlan(
        configs=_configs(
            ladder=("get_one", "list_20"),
            ladder_levels=(1, 16),
            # list_completed and count at c16 went for the same reason (--full keeps them)
            others=("create", "update", "delete"),
            other_level=16,
            asynchronous=(("get_one", 16), ("list_20", 16)),
        )
        + (WireConfig("get_one", 64, floor=True),),
        # 4 rounds: with 3 (tried to hold the budget) the over-the-wire intervals at c16 ran
        # to [0.00–265] and said nothing
        repeats=4,
        duration_s=0.2,
        warmup_s=0.06,
    ),
    counts=HEADLINE_COUNTS,
)

FULL = Profile(
    name="full",
    operations=EVERY_OPERATION,
    data=Plan(repeats=10, warmups=2, sample_seconds=0.1),
    asgi=Plan(repeats=10, warmups=2, sample_seconds=0.1),
    async_operations=EVERY_OPERATION,
    wire=WirePlan(
        configs=_configs(
            ladder=HTTP_ENDPOINTS,
            ladder_levels=(1, 16, 64, 256),
            others=(),
            other_level=16,
            asynchronous=tuple(
                (endpoint, level) for endpoint in HTTP_ENDPOINTS for level in (1, 16, 64, 256)
            ),
        )
        # 2 uvicorn workers against 1, as people deploy (on a 2-CPU machine they share the
        # CPUs with the load generator: see benchmarks/README.md)
        + tuple(WireConfig(endpoint, 16, workers=2) for endpoint in ("get_one", "create")),
        repeats=5,
        duration_s=2.0,
        warmup_s=0.5,
    ),
    counts=CountPlan(),
)

SMOKE = Profile(
    name="smoke",
    operations=("get_one", "list_1", "list_20", "create"),
    data=Plan(repeats=2, warmups=0, sample_seconds=0.002),
    asgi=Plan(repeats=2, warmups=0, sample_seconds=0.002),
    async_operations=("get_one", "list_20", "create"),
    wire=WirePlan(
        configs=(
            WireConfig("get_one", 1, floor=True),
            WireConfig("get_one", 4, floor=True, asynchronous=True),
            WireConfig("create", 2),
        ),
        repeats=2,
        duration_s=0.2,
        warmup_s=0.05,
    ),
)
"""A few seconds of everything, for the harness's own tests: its figures mean nothing."""

RELATIONSHIPS = Profile(
    name="relationships",
    operations=("list_20", "list_1000", *TAG_OPERATIONS),
    data=DEFAULT.data,
    asgi=DEFAULT.asgi,
    wire=WirePlan(
        configs=_configs(
            ladder=("list_20",),
            ladder_levels=(1, 16),
            others=("list_by_tag", "tag_counts", "create_tagged", "replace_tags"),
            other_level=16,
        ),
        repeats=5,
        duration_s=0.2,
        warmup_s=0.06,
    ),
)
"""Tags only: the loading strategies on every list that carries tags (list_20, list_1000,
list_by_tag) and the tag operations (filter, counts, create with 3 tags, replace tags) on
every rung and layer, with the default profile's samples; no instruction counts unless
``--counts``. For the servers, where a round trip costs: ``--profile relationships
--backend postgresql,mariadb``."""

PROFILES = {profile.name: profile for profile in (SMOKE, QUICK, DEFAULT, FULL, RELATIONSHIPS)}
