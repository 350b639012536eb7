"""The targets the apps should reach, judged on this run's own intervals, and the
conclusions the report draws from them — written from the numbers, never by hand.

A target is met only when the whole 95% interval is on the right side of the goal, missed
only when the whole interval is on the wrong side, and otherwise not significant; the
conclusions about the same cells use the same judgement (``judge``), so a table saying
"missed" can never stand beside a conclusion saying "no significant difference"."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.formatting import UNPINNED, pinned_down
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    FLOOR_DEPENDENCY,
    RAW,
    RAW_ASYNC,
    async_pairs,
    async_variants,
    bench_variants,
    compared_pairs,
    is_async,
    sync_variants,
)
from benchmarks.results import (
    MET,
    MISSED,
    NOT_MEASURED,
    NOT_SIGNIFICANT,
    Interval,
    LoadRun,
    Ratio,
    Target,
    Timing,
    TimingIndex,
)
from benchmarks.validity import usable_runs


def _ratio(owner: Timing | LoadRun | None, denominator: str) -> Ratio | None:
    if owner is None:
        return None
    return next((ratio for ratio in owner.ratios if ratio.denominator == denominator), None)


def _cpu_ratio(run: LoadRun | None, denominator: str) -> Ratio | None:
    """The server-CPU-per-request ratio of ``run`` against ``denominator``'s, if measured."""
    if run is None:
        return None
    return next((r for r in run.cpu_ratios if r.denominator == denominator), None)


def _with_cpu(shown: str, run: LoadRun | None, denominator: str) -> str:
    """A requests/s figure with the server CPU per request ratio beside it: the steadier
    figure on a shared machine, so a reader can weigh the two."""
    cpu = _cpu_ratio(run, denominator)
    return shown if cpu is None else f"{shown}; server CPU per request {_show(cpu)}"


def _load(
    load: Sequence[LoadRun], backend: str, app: str, endpoint: str, level: int
) -> LoadRun | None:
    for run in load:
        key = (run.backend, run.app, run.endpoint, run.concurrency, run.workers)
        if key == (backend, app, endpoint, level, 1):
            return run
    return None


def _invalid(*runs: LoadRun | None) -> str | None:
    """What makes a comparison of ``runs`` impossible: the first invalid cell, in words."""
    for run in runs:
        if run is not None and run.invalid:
            return f"invalid: {run.app} {run.unexpected_text()}"
    return None


def _show(ratio: Ratio) -> str:
    interval = ratio.interval
    return f"{interval.median:.2f} [{interval.low:.2f}–{interval.high:.2f}]"


def judge(
    interval: Interval, *, at_least: float | None = None, at_most: float | None = None
) -> str:
    """``met``, ``missed`` or ``not significant`` for a goal ``≥ at_least`` or ``≤ at_most``.

    Judged on the whole 95% interval, never on its median alone: a median just past the goal
    with an interval reaching back across it is not significant, whichever side it fell on.
    """
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least and at_most")
    if at_least is not None:
        if interval.low >= at_least:
            return MET
        return MISSED if interval.high < at_least else NOT_SIGNIFICANT
    assert at_most is not None
    if interval.high <= at_most:
        return MET
    return MISSED if interval.low > at_most else NOT_SIGNIFICANT


def exact(value: float) -> Interval:
    """A figure with no spread (a count) as its own interval."""
    return Interval(value, value, value)


WIRE_PAIR_GOAL = 0.8
"""A variant over its baseline variant, over the wire: requests/s ratio ≥ 0.8, i.e. at most
1.25× the baseline's time per request."""


def check_targets(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[Target]:
    """Every target of the benchmark issue, judged on intervals (``judge``).

    Each variant with no baseline of its own (core) must come close to the floor over the
    wire and to the raw driver at the data layer; each variant with one (orm) must stay
    within 1.25× of it; every variant must keep SQLite writes fast. Over-the-wire cells that
    are not ``usable`` count as not measured.
    """
    valid = usable_runs(load)
    index = TimingIndex(timings)
    own = [v.name for v in bench_variants() if v.baseline is None]
    targets: list[Target] = []
    for name in own:
        for endpoint in ("get_one", "list_20"):
            for level in (1, 16):
                run = _load(load, "sqlite", name, endpoint, level)
                invalid = _invalid(run, _load(load, "sqlite", FLOOR, endpoint, level))
                ratio = None if invalid else _ratio(run, FLOOR)
                targets.append(
                    Target(
                        f"{name} ≥ 85% of the floor: {endpoint}, c{level} (SQLite)",
                        f"{name}/floor requests/s ≥ 0.85",
                        invalid
                        or (NOT_MEASURED if ratio is None else _with_cpu(_show(ratio), run, FLOOR)),
                        NOT_MEASURED
                        if ratio is None or invalid
                        else judge(ratio.interval, at_least=0.85),
                    )
                )
    targets += async_floor_targets(load)
    for upper, lower in (*compared_pairs(), *async_pairs()):
        endpoints = sorted(
            {
                run.endpoint
                for run in load
                if run.app == upper and run.concurrency == 16 and run.workers == 1
            }
        )
        for backend in sorted({run.backend for run in valid}):
            for endpoint in endpoints:
                run = _load(load, backend, upper, endpoint, 16)
                invalid = _invalid(run, _load(load, backend, lower, endpoint, 16))
                ratio = None if invalid else _ratio(run, lower)
                if ratio is None and invalid is None:
                    continue
                targets.append(
                    Target(
                        wire_target_name(upper, lower, endpoint, backend),
                        f"{upper}/{lower} requests/s ≥ {WIRE_PAIR_GOAL:.2f} (time ≤ 1.25×)",
                        invalid
                        or (NOT_MEASURED if ratio is None else _with_cpu(_show(ratio), run, lower)),
                        NOT_MEASURED
                        if ratio is None
                        else judge(ratio.interval, at_least=WIRE_PAIR_GOAL),
                    )
                )
    for name in own:
        for backend, limit in (("sqlite", 2.0), ("postgresql", 1.2)):
            ratio = _ratio(index.get("data", backend, name, "get_one"), RAW)
            targets.append(
                Target(
                    f"{name} data layer ≤ {limit}× raw: get_one ({backend})",
                    f"{name}/raw time ≤ {limit}",
                    NOT_MEASURED if ratio is None else _show(ratio),
                    NOT_MEASURED if ratio is None else judge(ratio.interval, at_most=limit),
                )
            )
    high = [run for run in load if run.concurrency >= 64]
    failures = sum(run.errors + run.timeouts + run.unexpected for run in high)
    targets.append(
        Target(
            "c64+: no errors, no timeouts",
            "0 errors, 0 unexpected statuses and 0 timeouts at concurrency ≥ 64",
            NOT_MEASURED
            if not high
            else f"{failures} errors+unexpected+timeouts in {len(high)} runs",
            NOT_MEASURED if not high else judge(exact(failures), at_most=0),
        )
    )
    for app in (v.name for v in bench_variants()):
        run = _load(load, "sqlite", app, "create", 16)
        if run is None and is_async(app):
            continue  # the async apps are loaded on create by --full only
        invalid = _invalid(run)
        targets.append(
            Target(
                f"SQLite create p99 at c16 ≤ 50 ms ({app})",
                "p99 ≤ 50 ms",
                invalid
                or (
                    NOT_MEASURED
                    if run is None
                    else f"{run.latency_ms['p99']:.1f} ms (median of {run.repeats} repeats' "
                    "p99; no interval: judged on that one figure)"
                ),
                NOT_MEASURED
                if run is None or invalid
                else judge(exact(run.latency_ms["p99"]), at_most=50),
            )
        )
    return targets


ASYNC_FLOOR_GOAL = 0.85
"""The async reference app (core-async) against the async floor at c16: at least 85% of its
requests/s, and of its efficiency in CPU per request (the floor's CPU per request at least
0.85 of the app's: the app's at most 1/0.85 ≈ 1.18× the floor's)."""
ASYNC_FLOOR_BACKENDS = ("postgresql", "sqlite")
ASYNC_FLOOR_ENDPOINTS = ("get_one", "list_20")


def async_references() -> list[str]:
    """The async variants held to the async floor: those whose baseline is not async (the
    async flavour of the reference, core-async)."""
    return [v.name for v in async_variants() if v.baseline is None or not is_async(v.baseline)]


def async_floor_target_name(app: str, endpoint: str, backend: str, measure: str) -> str:
    """The name of an async floor target: the conclusions cite it."""
    return f"{app} ≥ 85% of {FLOOR_ASYNC} ({measure}): {endpoint}, c16 ({backend})"


def async_floor_targets(load: Sequence[LoadRun]) -> list[Target]:
    """The async reference app against the async floor at c16, on get_one and list_20, on
    PostgreSQL (asyncpg) and SQLite (aiosqlite): requests/s ratio ≥ 0.85, and server CPU per
    request ratio ≤ 1/0.85. Invalid cells and cells not loaded are not measured."""
    targets: list[Target] = []
    for app in async_references():
        for backend in ASYNC_FLOOR_BACKENDS:
            for endpoint in ASYNC_FLOOR_ENDPOINTS:
                run = _load(load, backend, app, endpoint, 16)
                invalid = _invalid(run, _load(load, backend, FLOOR_ASYNC, endpoint, 16))
                ratio = None if invalid else _ratio(run, FLOOR_ASYNC)
                targets.append(
                    Target(
                        async_floor_target_name(app, endpoint, backend, "requests/s"),
                        f"{app}/{FLOOR_ASYNC} requests/s ≥ {ASYNC_FLOOR_GOAL:.2f}",
                        invalid or (NOT_MEASURED if ratio is None else _show(ratio)),
                        NOT_MEASURED
                        if ratio is None
                        else judge(ratio.interval, at_least=ASYNC_FLOOR_GOAL),
                    )
                )
                cpu = None if invalid else _cpu_ratio(run, FLOOR_ASYNC)
                limit = 1 / ASYNC_FLOOR_GOAL
                targets.append(
                    Target(
                        async_floor_target_name(app, endpoint, backend, "CPU per request"),
                        f"{app}/{FLOOR_ASYNC} server CPU per request ≤ {limit:.2f}",
                        invalid or (NOT_MEASURED if cpu is None else _show(cpu)),
                        NOT_MEASURED if cpu is None else judge(cpu.interval, at_most=limit),
                    )
                )
    return targets


def async_floor_conclusions(
    timings: Sequence[Timing], load: Sequence[LoadRun], backend: str
) -> list[str]:
    """Where the async reference app falls short of the async floor over the wire (a target
    missed or not significant), why: its request in process against the floor's, and what
    its data layer and the raw async driver take of that request."""
    lines = []
    index = TimingIndex(timings)
    for app in async_references():
        for endpoint in ASYNC_FLOOR_ENDPOINTS:
            run = _load(load, backend, app, endpoint, 16)
            invalid = _invalid(run, _load(load, backend, FLOOR_ASYNC, endpoint, 16))
            ratio = None if invalid else _ratio(run, FLOOR_ASYNC)
            if ratio is None:
                continue
            status = judge(ratio.interval, at_least=ASYNC_FLOOR_GOAL)
            if status == MET:
                continue
            line = (
                f"{backend}, over the wire, {endpoint} at c16: {app} serves {_show(ratio)}× "
                f"{FLOOR_ASYNC}'s requests/s, the target ≥ {ASYNC_FLOOR_GOAL:.2f} is {status}"
            )
            if not pinned_down(ratio):
                line += f" ({UNPINNED})"
            cpu = _cpu_ratio(run, FLOOR_ASYNC)
            if cpu is not None:
                line += f"; its server's CPU per request is {_show(cpu)}× the floor's"
            app_asgi = index.get("asgi", backend, app, endpoint)
            floor_asgi = index.get("asgi", backend, FLOOR_ASYNC, endpoint)
            app_data = index.get("data", backend, app, endpoint)
            raw_data = index.get("data", backend, RAW_ASYNC, endpoint)
            if app_asgi and floor_asgi:
                line += (
                    f". Why: in process its request takes {app_asgi.interval.median:,.0f} µs "
                    f"against the floor's {floor_asgi.interval.median:,.0f} µs, which does no "
                    "database work"
                )
                if app_data and raw_data:
                    line += (
                        f"; its data layer alone takes {app_data.interval.median:,.0f} µs per "
                        f"call, of which the raw async driver's own round trip is "
                        f"{raw_data.interval.median:,.0f} µs"
                    )
            lines.append(line + ".")
    return lines


def wire_target_name(upper: str, lower: str, endpoint: str, backend: str) -> str:
    """The name of the over-the-wire target of ``upper`` against ``lower``: the conclusions
    cite it, so that the two can never disagree."""
    return f"{upper} within 1.25× of {lower}: {endpoint}, c16 ({backend})"


def conclusions(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[str]:
    """Short statements read off the figures: where a variant costs a lot over its baseline
    variant (the ORM over Core), where it is noise, and what the framework floor takes."""
    lines: list[str] = []
    for backend in sorted({t.backend for t in timings} | {run.backend for run in load}):
        for upper, lower in (*compared_pairs(), *async_pairs()):
            lines += _data_conclusion(timings, backend, upper, lower)
            lines += _wire_conclusions(load, backend, upper, lower)
        for variant in sync_variants():
            if variant.baseline is None:
                lines += _floor_conclusions(timings, backend, variant.name)
        lines += async_floor_conclusions(timings, load, backend)
    return lines


def _data_conclusion(timings: Sequence[Timing], backend: str, upper: str, lower: str) -> list[str]:
    costly = []
    index = TimingIndex(timings)
    for timing in timings:
        if (timing.backend, timing.layer, timing.rung) != (backend, "data", upper):
            continue
        ratio = _ratio(timing, lower)
        base = index.get("data", backend, lower, timing.operation)
        if ratio is None or base is None:
            continue
        extra = timing.interval.median - base.interval.median
        costly.append((ratio.interval.median, timing.operation, extra, ratio))
    if not costly:
        return []
    costly.sort(reverse=True)
    top = costly[0]
    return [
        f"{backend}, data layer: {upper} costs most over {lower} on {top[1]} "
        f"({_show(top[3])}× {lower}, +{top[2]:,.0f} µs per call); least on "
        f"{costly[-1][1]} ({_show(costly[-1][3])}×)."
    ]


def _wire_conclusions(load: Sequence[LoadRun], backend: str, upper: str, lower: str) -> list[str]:
    """One line per c16 cell: the ratio, whether it differs from 1, and the target's status
    judged by the same rule on the same interval (so the two cannot contradict each other)."""
    lines = []
    for run in load:
        if (run.backend, run.app, run.concurrency, run.workers) != (backend, upper, 16, 1):
            continue
        invalid = _invalid(run, _load(load, backend, lower, run.endpoint, 16))
        if invalid is not None:
            lines.append(
                f"{backend}, over the wire, {run.endpoint} at c16: no comparison, the cell is "
                f"{invalid}."
            )
            continue
        ratio = _ratio(run, lower)
        if ratio is None:
            continue
        difference = (
            "no significant difference from 1"
            if not ratio.significant
            else f"{upper} serves {_show(ratio)}× {lower}'s requests/s"
        )
        if not ratio.significant:
            difference = f"{upper}/{lower} requests/s {_show(ratio)}: {difference}"
        status = judge(ratio.interval, at_least=WIRE_PAIR_GOAL)
        if not pinned_down(ratio):
            difference += f" ({UNPINNED})"
        cpu = _cpu_ratio(run, lower)
        if cpu is not None:
            difference += f"; the server's CPU per request is {_show(cpu)}× {lower}'s" + (
                "" if pinned_down(cpu) else f" ({UNPINNED})"
            )
        lines.append(
            f"{backend}, over the wire, {run.endpoint} at c16: {difference}; the target "
            f"≥ {WIRE_PAIR_GOAL:.2f} is {status}."
        )
    return lines


def _floor_conclusions(timings: Sequence[Timing], backend: str, name: str) -> list[str]:
    lines = []
    for timing in timings:
        if (timing.backend, timing.layer, timing.rung) != (backend, "asgi", name):
            continue
        bare, with_dependency = _ratio(timing, FLOOR), _ratio(timing, FLOOR_DEPENDENCY)
        if bare is None or timing.operation not in ("get_one", "list_20"):
            continue
        line = (
            f"{backend}, whole request in process, {timing.operation}: the {name} app takes "
            f"{_show(bare)}× the framework floor"
        )
        if with_dependency is not None:
            line += (
                f", and {_show(with_dependency)}× the floor with a do-nothing yield "
                "dependency (the rest is its data layer)"
            )
        lines.append(line + ".")
    return lines
