"""Where the time goes: the ORM's extra cost over Core, and Core's over the raw driver.

Two sources, both from this run:

- **Profiles** (cProfile) of the data-layer rungs split a gap by *function family*: each
  function's own time (not counting what it calls) is attributed to the family of the module
  it lives in — SQL construction and compilation, the ORM's session and loading, result
  processing, Core's execution and pool, pydantic, the driver. The difference between two
  rungs' family times, per operation, is that family's share of the gap. Profiling slows
  Python code down more than C code, so shares are taken from the profile and applied to the
  gap measured without the profiler. Time in functions outside every named family (builtins,
  the standard library) is reported as unexplained.
- **The ladder** splits a whole request: the data-layer gap (layer a), what the app adds
  around it in process (layer b minus a), and the HTTP server and network (layer c minus b).
"""

from __future__ import annotations

import cProfile
import functools
import pstats
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchmarks.database import BenchDatabase
from benchmarks.ladder import bench_variants, compared_pairs, data_gaps
from benchmarks.registry import OPERATIONS, Rung
from benchmarks.results import Breakdown, BreakdownPart, LoadRun, Timing, TimingIndex
from benchmarks.validity import usable_runs


def profiled_operations() -> list[str]:
    """The operations whose gaps are explained (their records say how many calls to profile)."""
    return [name for name, operation in OPERATIONS.items() if operation.profile_calls]


# (family, substrings of the function's file or name), first match wins
FAMILIES: list[tuple[str, tuple[str, ...]]] = [
    (
        "driver and database (sqlite3/psycopg/PyMySQL)",
        (
            "sqlite3",
            "psycopg",
            "pymysql",
            "_sqlite",
            "socket",
        ),
    ),
    ("pydantic validation", ("pydantic",)),
    ("ORM: Session, loading, identity map", ("sqlalchemy/orm/",)),
    ("SQL construction, compilation and caching", ("sqlalchemy/sql/",)),
    (
        "result processing (rows, type conversion)",
        (
            "sqlalchemy/engine/result",
            "sqlalchemy/engine/cursor",
            "sqlalchemy/engine/row",
            "sqlalchemy/engine/_",
            "sqlalchemy/cyextension",
            "sqlalchemy/dialects/sqlite/base",
            "sqlalchemy/dialects/postgresql",
            "sqlalchemy/dialects/mysql",
        ),
    ),
    (
        "Core execution, connections and pool",
        (
            "sqlalchemy/engine/",
            "sqlalchemy/pool/",
            "sqlalchemy/event/",
            "sqlalchemy/util/",
            "sqlalchemy/dialects/",
            "todo_contract/database",
        ),
    ),
    ("the apps' repository code", ("benchmarks/rungs/",)),
]
"""The last family gets every variant's package too (``family_of``): read from the registry."""
UNEXPLAINED = "unexplained (builtins, standard library)"


def family_of(function: tuple[str, int, str]) -> str:
    """The family a profiled function belongs to."""
    filename, _, name = function
    where = f"{filename} {name}"
    for family, markers in FAMILIES:
        if any(marker in where for marker in markers):
            return family
    if any(f"{v.package.replace('.', '/')}/" in where for v in bench_variants()):
        return FAMILIES[-1][0]
    return UNEXPLAINED


def profile_families(call: Callable[[Any], Any], arguments: Sequence[Any]) -> dict[str, float]:
    """Own time per family, in µs per call, while calling ``call`` on each argument.

    A builtin or standard-library function works for whoever called it: its own time is
    shared among its callers' families in proportion to the time each caller spent in it.
    What is left (a stdlib function called from another stdlib function, recursively) is
    reported as unexplained.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    for argument in arguments:
        call(argument)
    profiler.disable()
    stats: Any = pstats.Stats(profiler)
    totals: dict[str, float] = defaultdict(float)
    for function, (_, _, own_time, _, callers) in stats.stats.items():
        family = family_of(function)
        if family != UNEXPLAINED or not callers:
            totals[family] += own_time
            continue
        caller_time = sum(entry[3] for entry in callers.values()) or 1.0
        for caller, entry in callers.items():
            totals[family_of(caller)] += own_time * entry[3] / caller_time
    return {family: seconds / len(arguments) * 1e6 for family, seconds in totals.items()}


def profile_rungs(
    bench: BenchDatabase, rungs: Mapping[str, Rung]
) -> dict[tuple[str, str], dict[str, float]]:
    """Family times for every (rung, operation) the breakdown needs."""
    profiles = {}
    for operation in profiled_operations():
        for rung_name in {name for gap in data_gaps() for name in gap}:
            function = rungs[rung_name].implementations[operation]
            record = OPERATIONS[operation]
            arguments = record.arguments(bench, record.profile_calls)
            profiles[(rung_name, operation)] = profile_families(
                functools.partial(function, bench), arguments
            )
    return profiles


def profile_part(family: str, us: float, upper: str, lower: str) -> BreakdownPart:
    """One family's part of a data-layer gap; a negative part says what it offsets.

    A family can take *less* time in the upper rung than in the lower one (the raw rung's own
    code is the benchmark's, core's is the app's repository), so its part of the gap is
    negative: it offsets some of what the other families add, and the note says so.
    """
    part = BreakdownPart(name=family, us=round(us, 2), source="cProfile own time")
    if part.us < 0:
        part.note = (
            f"{lower} spends {abs(part.us):,.3g} µs more here than {upper}: an offset "
            "against the other parts, which together exceed the gap by as much"
        )
    return part


def ladder_part(name: str, us: float, note: str) -> BreakdownPart:
    """One layer's part of a whole-request gap; ``note`` explains it only when negative.

    The layers are measured separately (the data layer, the whole app in process, over the
    wire), so a layer's gap can come out smaller than the gap of the layer below it: then
    the part between them is negative — that much of the lower layer's gap did not show up
    in the upper one (it overlapped with, or was lost in the noise of, the upper layer).
    """
    part = BreakdownPart(name=name, us=round(us, 2), source="ladder")
    if part.us < 0:
        part.note = note
    return part


def data_layer_breakdown(
    backend: str,
    timings: Sequence[Timing],
    profiles: Mapping[tuple[str, str], Mapping[str, float]],
) -> list[Breakdown]:
    """Split each data-layer gap into families, scaled to the gap measured without profiling."""
    items = []
    index = TimingIndex(timings)
    for operation in profiled_operations():
        for upper, lower in data_gaps():
            gap = _gap(index, "data", backend, upper, lower, operation)
            if gap is None:
                continue
            upper_profile, lower_profile = (
                profiles[(upper, operation)],
                profiles[(lower, operation)],
            )
            families = set(upper_profile) | set(lower_profile)
            differences = {
                family: upper_profile.get(family, 0.0) - lower_profile.get(family, 0.0)
                for family in families
            }
            profiled_gap = sum(differences.values())
            # Shares come from the profile; when the profile saw no gap at all (its own noise
            # hid it) nothing can be attributed and the whole gap is reported as unexplained.
            scale = gap / profiled_gap if profiled_gap > 0 and gap > 0 else 0.0
            parts = [
                profile_part(family, difference * scale, upper, lower)
                for family, difference in sorted(
                    differences.items(), key=lambda item: -abs(item[1])
                )
                if family != UNEXPLAINED
            ]
            items.append(
                Breakdown(
                    backend=backend,
                    operation=operation,
                    gap=f"{upper} − {lower} (data layer)",
                    gap_us=round(gap, 2),
                    parts=parts,
                    unexplained_us=round(
                        differences.get(UNEXPLAINED, 0.0) * scale if scale else gap, 2
                    ),
                )
            )
    return items


def _p50(load: Sequence[LoadRun], backend: str, app: str, endpoint: str) -> float | None:
    """The median latency at c1 in µs; None when not measured or not ``usable`` (unexpected
    statuses: the latency of responses the operation did not produce)."""
    for run in usable_runs(load):
        key = (run.backend, run.app, run.endpoint, run.concurrency, run.workers)
        if key == (backend, app, endpoint, 1, 1):
            return run.latency_ms["p50"] * 1000
    return None


def request_breakdown(
    backend: str, timings: Sequence[Timing], load: Sequence[LoadRun]
) -> list[Breakdown]:
    """Split each variant's extra cost per request over its baseline variant along the ladder
    (the ORM app over the Core app today)."""
    index = TimingIndex(timings)
    return [
        item
        for operation in profiled_operations()
        for upper, lower in compared_pairs()
        if (item := _request_gap(backend, index, load, operation, upper, lower)) is not None
    ]


def _request_gap(
    backend: str,
    index: TimingIndex,
    load: Sequence[LoadRun],
    operation: str,
    upper: str,
    lower: str,
) -> Breakdown | None:
    data_gap = _gap(index, "data", backend, upper, lower, operation)
    asgi_gap = _gap(index, "asgi", backend, upper, lower, operation)
    if data_gap is None or asgi_gap is None:
        return None
    data_name = f"data layer ({upper} − {lower}, layer a)"
    parts = [
        ladder_part(data_name, data_gap, f"{upper} is faster than {lower} at the data layer here"),
        ladder_part(
            "app around the data layer: routing, dependencies, pydantic serialization "
            "(layer b − a)",
            asgi_gap - data_gap,
            f"the whole-request gap in process ({asgi_gap:,.3g} µs) is smaller than the "
            f"data-layer gap ({data_gap:,.3g} µs), measured separately: part of the data "
            f"layer's gap overlaps with work the {lower} app does around its data layer too",
        ),
    ]
    total = asgi_gap
    upper_wire, lower_wire = (
        _p50(load, backend, upper, operation),
        _p50(load, backend, lower, operation),
    )
    if upper_wire is not None and lower_wire is not None:
        wire_gap = upper_wire - lower_wire
        parts.append(
            ladder_part(
                "HTTP server and network (layer c − b, p50 at c1)",
                wire_gap - asgi_gap,
                f"the gap over the wire ({wire_gap:,.3g} µs, p50 at c1) is smaller than in "
                f"process ({asgi_gap:,.3g} µs), measured separately: over HTTP part of the "
                "in-process gap overlaps with the server's own work or is lost in its noise",
            )
        )
        total = wire_gap
    return Breakdown(
        backend=backend,
        operation=operation,
        gap=f"{upper} − {lower} (whole request)",
        gap_us=round(total, 2),
        parts=parts,
        unexplained_us=round(total - sum(part.us for part in parts), 2),
    )


def _gap(
    index: TimingIndex, layer: str, backend: str, upper: str, lower: str, operation: str
) -> float | None:
    """``upper``'s median time minus ``lower``'s, or None when either was not measured."""
    upper_time, lower_time = (index.get(layer, backend, rung, operation) for rung in (upper, lower))
    if upper_time is None or lower_time is None:
        return None
    return upper_time.interval.median - lower_time.interval.median
