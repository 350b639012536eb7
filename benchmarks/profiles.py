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


def _configs(
    *,
    ladder: tuple[str, ...],
    ladder_levels: tuple[int, ...],
    others: tuple[str, ...],
    other_level: int,
) -> tuple[WireConfig, ...]:
    configs = [
        WireConfig(endpoint, level, floor=endpoint in FLOOR_ENDPOINTS)
        for endpoint in ladder
        for level in ladder_levels
    ]
    configs += [WireConfig(endpoint, other_level) for endpoint in others]
    return tuple(configs)


HEADLINE_COUNTS = CountPlan(
    n=10,
    heavy_n=2,
    warmup=2,
    main_ladder_only=True,
    operations=("get_one", "list_20", "create"),
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
    wire=WirePlan(
        configs=_configs(
            ladder=("get_one", "list_20", "create"),
            ladder_levels=(1, 16),
            # the writes that consume or change rows, so that a quick run shows them valid
            others=("update", "delete"),
            other_level=16,
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
    data=Plan(repeats=10, warmups=2, sample_seconds=0.015),
    asgi=Plan(repeats=10, warmups=2, sample_seconds=0.015),
    wire=WirePlan(
        configs=_configs(
            ladder=("get_one", "list_20", "create"),
            ladder_levels=(1, 16, 64),
            others=("list_1000", "list_completed", "count", "update", "delete"),
            other_level=16,
        ),
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
    wire=WirePlan(
        configs=_configs(
            ladder=HTTP_ENDPOINTS, ladder_levels=(1, 16, 64, 256), others=(), other_level=16
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
    wire=WirePlan(
        configs=(
            WireConfig("get_one", 1, floor=True),
            WireConfig("get_one", 4, floor=True),
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
