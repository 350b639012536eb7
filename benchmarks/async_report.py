"""The async question: what asyncio changes, per family and backend, and where the time went.

Each asyncio rung is set against its *sync twin* (``benchmarks.ladder.sync_twin``): the raw
async driver against the sync one, the async floor against the sync floor, each async
variant against the sync variant of its family. This module reads those ratios off a run
and writes the report's section *Async against sync* (``async_sections``), the answer's
sentence on it (``async_sentence``), and the ladder's split of each async/sync gap of a whole
request in process (``async_breakdown``, shown under *Where the time goes*):

- the framework on asyncio: the async floor against the sync floor (``async def``
  endpoints and the contract's dependencies run on the event loop: the thread-pool hops a
  sync endpoint pays are saved);
- the session dependency: what an ``async def`` yield dependency costs over none, against
  what a sync one does (FastAPI runs a sync one in its thread pool on entry and exit);
- the driver: the raw async driver against the raw sync one (data layer);
- SQLAlchemy's asyncio layer: what the async variant adds over its raw driver, less what the
  sync variant adds over its own (data layer): the greenlet bridge and the adapted driver;
- what no part explains.

Whether the ORM's cost relative to hand-written SQL changes under asyncio is a ratio of
ratios, (orm-async/core-async) / (orm/core): per repeat in process (all four measured in the
same repeat) with a bootstrap interval, per round over the wire with the round-level
prediction interval. Every figure comes from this run; a figure not measured is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.breakdown import ladder_part
from benchmarks.charts import ordered_backends, ordered_operations
from benchmarks.formatting import (
    MISSING,
    format_interval_us,
    format_ratio,
    format_ratio_interval,
    format_wire_ratio,
    markdown_table,
    pinned_down,
)
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    FLOOR_ASYNC_DEPENDENCY,
    FLOOR_DEPENDENCY,
    RAW,
    RAW_ASYNC,
    async_pairs,
    async_variants,
    compared_pairs,
    is_async,
    sync_twin,
    twin_pairs,
)
from benchmarks.results import (
    Breakdown,
    BreakdownPart,
    LoadRun,
    Ratio,
    Report,
    Timing,
    TimingIndex,
)
from benchmarks.stats import bootstrap_median_interval, make_round_ratio
from benchmarks.validity import usable_runs

LAYER_WORDS = {"data": "data layer", "asgi": "whole request in process"}
BREAKDOWN_OPERATIONS = ("get_one", "list_20", "create")
"""The operations whose async/sync gaps are split along the ladder (the default profile's
async headline operations)."""
SENTENCE_OPERATIONS = ("get_one", "list_20")


def _median(index: TimingIndex, layer: str, backend: str, rung: str, op: str) -> float | None:
    timing = index.get(layer, backend, rung, op)
    return None if timing is None else timing.interval.median


def _difference(
    index: TimingIndex, layer: str, backend: str, upper: str, lower: str, op: str
) -> float | None:
    """``upper``'s median minus ``lower``'s at one layer, or None when either is missing."""
    a, b = _median(index, layer, backend, upper, op), _median(index, layer, backend, lower, op)
    return None if a is None or b is None else a - b


def twin_ratio(timing: Timing) -> Ratio | None:
    """The ratio of an async rung's timing against its sync twin, if it carries one."""
    twin = sync_twin(timing.rung)
    return next((r for r in timing.ratios if r.denominator == twin), None)


def ratio_of_ratios(
    index: TimingIndex, layer: str, backend: str, operation: str, upper: str, lower: str
) -> Ratio | None:
    """(upper-async/lower-async) / (upper/lower) per repeat, bootstrapped: how the ORM's cost
    over Core changes under asyncio. None unless all four were measured in the same repeats.
    ``upper`` and ``lower`` are the async pair (orm-async, core-async)."""
    upper_twin, lower_twin = sync_twin(upper), sync_twin(lower)
    if upper_twin is None or lower_twin is None:
        return None
    twins = (upper_twin, lower_twin)
    rungs = (upper, lower, *twins)
    timings = [index.get(layer, backend, rung, operation) for rung in rungs]
    series = [t.samples for t in timings if t is not None]
    if len(series) != 4 or len({len(s) for s in series}) != 1 or not series[0]:
        return None
    values = [(a / b) / (c / d) for a, b, c, d in zip(*series, strict=True) if b and c and d]
    if len(values) != len(series[0]):
        return None
    interval = bootstrap_median_interval(values)
    return Ratio(
        numerator=f"{upper}/{lower}",
        denominator=f"{twins[0]}/{twins[1]}",
        interval=interval,
        significant=not interval.spans_one(),
    )


def _run(load: Sequence[LoadRun], backend: str, app: str, endpoint: str, level: int) -> LoadRun:
    found = next(
        (
            run
            for run in load
            if (run.backend, run.app, run.endpoint, run.concurrency, run.workers)
            == (backend, app, endpoint, level, 1)
        ),
        None,
    )
    if found is None:
        raise LookupError(app)
    return found


def wire_ratio_of_ratios(
    load: Sequence[LoadRun], backend: str, endpoint: str, level: int, upper: str, lower: str
) -> Ratio | None:
    """Over the wire, per round: (upper-async/lower-async requests/s) / (upper/lower). None
    unless the four cells are usable and paired round by round, every round answered."""
    upper_twin, lower_twin = sync_twin(upper), sync_twin(lower)
    if upper_twin is None or lower_twin is None:
        return None
    twins = (upper_twin, lower_twin)
    usable = usable_runs(load)
    try:
        runs = [_run(usable, backend, app, endpoint, level) for app in (upper, lower, *twins)]
    except LookupError:
        return None
    series = [run.requests_per_s_samples for run in runs]
    if len({len(s) for s in series}) != 1 or not series[0]:
        return None
    rounds = [values for values in zip(*series, strict=True) if all(v > 0 for v in values)]
    if not rounds:
        return None
    # requests/s: the async pair's ratio is upper/lower; as time, lower/upper. Keep it as the
    # throughput ratio, as every other over-the-wire ratio is.
    asynchronous = [a / b for a, b, _, _ in rounds]
    synchronous = [c / d for _, _, c, d in rounds]
    return make_round_ratio(f"{upper}/{lower}", f"{twins[0]}/{twins[1]}", asynchronous, synchronous)


# --- where the time went ----------------------------------------------------------------------


def _part(name: str, us: float | None, note: str) -> BreakdownPart | None:
    return None if us is None else ladder_part(name, us, note)


def async_breakdown(backend: str, timings: Sequence[Timing]) -> list[Breakdown]:
    """Each async variant's whole request in process against its sync twin's, split along the
    ladder; and the async reference variant's against the async floor (why it falls short of
    the floor). Medians of separately measured layers, as ``breakdown.request_breakdown``'s."""
    index = TimingIndex(timings)
    items: list[Breakdown] = []
    for operation in BREAKDOWN_OPERATIONS:
        for upper, lower in twin_pairs():
            item = _twin_gap(index, backend, operation, upper, lower)
            if item is not None:
                items.append(item)
        for variant in async_variants():
            if variant.baseline is not None and is_async(variant.baseline):
                continue  # only the async reference (core-async) is held to the floor
            item = _floor_gap(index, backend, operation, variant.name)
            if item is not None:
                items.append(item)
    return items


def _twin_gap(
    index: TimingIndex, backend: str, operation: str, upper: str, lower: str
) -> Breakdown | None:
    gap = _difference(index, "asgi", backend, upper, lower, operation)
    if gap is None:
        return None
    framework = _difference(index, "asgi", backend, FLOOR_ASYNC, FLOOR, operation)
    async_dependency = _difference(
        index, "asgi", backend, FLOOR_ASYNC_DEPENDENCY, FLOOR_ASYNC, operation
    )
    sync_dependency = _difference(index, "asgi", backend, FLOOR_DEPENDENCY, FLOOR, operation)
    dependency = (
        None
        if async_dependency is None or sync_dependency is None
        else async_dependency - sync_dependency
    )
    driver = _difference(index, "data", backend, RAW_ASYNC, RAW, operation)
    async_over_raw = _difference(index, "data", backend, upper, RAW_ASYNC, operation)
    sync_over_raw = _difference(index, "data", backend, lower, RAW, operation)
    sqlalchemy = (
        None if async_over_raw is None or sync_over_raw is None else async_over_raw - sync_over_raw
    )
    parts = [
        _part(
            "the framework on asyncio: async def endpoint and dependencies, no thread-pool hop "
            "(floor-async − floor)",
            framework,
            "the async floor is faster than the sync one: the thread-pool hops of a sync "
            "endpoint and of the contract's sync dependencies are saved",
        ),
        _part(
            "the session dependency on the event loop instead of the thread pool "
            "((floor-async+dependency − floor-async) − (floor+dependency − floor))",
            dependency,
            "an async def yield dependency costs less than a sync one, which FastAPI runs in "
            "its thread pool on entry and on exit: those hops are saved",
        ),
        _part(
            f"the async driver alone ({RAW_ASYNC} − {RAW}, data layer)",
            driver,
            "the raw async driver is faster than the sync one here",
        ),
        _part(
            f"SQLAlchemy's asyncio layer: greenlet bridge, adapted driver (({upper} − "
            f"{RAW_ASYNC}) − ({lower} − {RAW}), data layer)",
            sqlalchemy,
            f"{upper} adds less over its raw driver than {lower} does over its own",
        ),
    ]
    kept = [part for part in parts if part is not None]
    return Breakdown(
        backend=backend,
        operation=operation,
        gap=f"{upper} − {lower} (whole request in process)",
        gap_us=round(gap, 2),
        parts=kept,
        unexplained_us=round(gap - sum(part.us for part in kept), 2),
    )


def _floor_gap(index: TimingIndex, backend: str, operation: str, app: str) -> Breakdown | None:
    gap = _difference(index, "asgi", backend, app, FLOOR_ASYNC, operation)
    if gap is None:
        return None
    dependency = _difference(index, "asgi", backend, FLOOR_ASYNC_DEPENDENCY, FLOOR_ASYNC, operation)
    driver = _median(index, "data", backend, RAW_ASYNC, operation)
    over_raw = _difference(index, "data", backend, app, RAW_ASYNC, operation)
    parts = [
        _part(
            "the session dependency (floor-async+dependency − floor-async)",
            dependency,
            "the async floor with a dependency came out faster than without: noise",
        ),
        _part(
            f"the database work through the raw async driver ({RAW_ASYNC}, data layer)",
            driver,
            "a negative time cannot be: this part is noise",
        ),
        _part(
            f"SQLAlchemy Core on asyncio over that driver ({app} − {RAW_ASYNC}, data layer)",
            over_raw,
            f"{app}'s data layer came out faster than the raw async driver's here",
        ),
    ]
    kept = [part for part in parts if part is not None]
    return Breakdown(
        backend=backend,
        operation=operation,
        gap=f"{app} − {FLOOR_ASYNC} (whole request in process)",
        gap_us=round(gap, 2),
        parts=kept,
        unexplained_us=round(gap - sum(part.us for part in kept), 2),
    )


# --- the section ------------------------------------------------------------------------------

SECTION_INTRO = (
    "Each asyncio rung against its sync twin, measured interleaved in the same repeats (in "
    "process) or back to back in the same rounds (over the wire): the raw async driver "
    "(aiosqlite, asyncpg, aiomysql) against the sync one, the async floor (async def "
    "endpoints) against the sync floor, each async app against the sync app of its family. A "
    "ratio above 1 in process is more time; over the wire, requests/s above 1 is faster and "
    "server CPU per request above 1 is more CPU. On PostgreSQL the `+psycopg` rungs run "
    "psycopg 3's async mode, the sync rungs' driver, so that asyncio and the driver can be "
    "told apart."
)
ORM_COST_INTRO = (
    "Does the ORM's cost relative to hand-written SQL change under asyncio? Each row divides "
    "the async pair's ratio by the sync pair's, per repeat (in process) or per round (over "
    "the wire, requests/s): below 1 in process the ORM costs relatively less on asyncio, "
    "above 1 more (over the wire the other way round, since requests/s is a rate)."
)


def instruction_ratio(report: Report, timing: Timing, twin: str) -> float | None:
    """The instruction count ratio of ``timing``'s rung against ``twin`` on the same layer,
    backend and operation, if both were counted."""
    for count in report.instructions:
        key = (count.layer, count.backend, count.rung, count.operation)
        if key == (timing.layer, timing.backend, timing.rung, timing.operation):
            return count.ratios.get(f"{timing.rung}/{twin}")
    return None


def _in_process_rows(report: Report, backend: str) -> list[list[object]]:
    index = TimingIndex(report.timings)
    rows: list[list[object]] = []
    timings = [
        t
        for t in report.timings
        if t.backend == backend and t.layer in LAYER_WORDS and is_async(t.rung)
    ]
    operations = ordered_operations(t.operation for t in timings)
    for layer in LAYER_WORDS:
        for operation in operations:
            for timing in timings:
                if (timing.layer, timing.operation) != (layer, operation):
                    continue
                ratio = twin_ratio(timing)
                twin = sync_twin(timing.rung)
                base = None if twin is None else index.get(layer, backend, twin, operation)
                if ratio is None or base is None or twin is None:
                    continue
                counted = instruction_ratio(report, timing, twin)
                rows.append(
                    [
                        LAYER_WORDS[layer],
                        operation,
                        f"{timing.rung}/{twin}",
                        format_interval_us(timing.interval),
                        format_interval_us(base.interval),
                        format_ratio(ratio),
                        MISSING if counted is None else f"{counted:.2f}×",
                    ]
                )
    return rows


def _wire_rows(report: Report, backend: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in usable_runs(report.load):
        if run.backend != backend or run.workers != 1 or not is_async(run.app):
            continue
        for ratio in run.ratios:
            if ratio.denominator != sync_twin(run.app):
                continue
            cpu = next((r for r in run.cpu_ratios if r.denominator == ratio.denominator), None)
            rows.append(
                [
                    f"{run.app}/{ratio.denominator}",
                    run.endpoint,
                    run.concurrency,
                    format_wire_ratio(ratio),
                    MISSING if cpu is None else format_wire_ratio(cpu),
                ]
            )
    return sorted(rows, key=lambda row: (str(row[1]), int(str(row[2])), str(row[0])))


def _orm_cost_rows(report: Report, backend: str) -> list[list[object]]:
    index = TimingIndex(report.timings)
    rows: list[list[object]] = []
    operations = ordered_operations(
        t.operation for t in report.timings if t.backend == backend and is_async(t.rung)
    )
    for upper, lower in async_pairs():
        twins = sync_twin(upper), sync_twin(lower)
        for layer in LAYER_WORDS:
            for operation in operations:
                ratio = ratio_of_ratios(index, layer, backend, operation, upper, lower)
                if ratio is None:
                    continue
                sync_ratio = _find(index.get(layer, backend, twins[0] or "", operation), twins[1])
                async_ratio = _find(index.get(layer, backend, upper, operation), lower)
                rows.append(
                    [
                        LAYER_WORDS[layer],
                        operation,
                        MISSING if async_ratio is None else format_ratio(async_ratio),
                        MISSING if sync_ratio is None else format_ratio(sync_ratio),
                        format_ratio(ratio),
                    ]
                )
        levels = sorted(
            {
                run.concurrency
                for run in report.load
                if run.backend == backend and run.app == upper and run.workers == 1
            }
        )
        endpoints = ordered_operations(
            run.endpoint for run in report.load if run.backend == backend and run.app == upper
        )
        for endpoint in endpoints:
            for level in levels:
                ratio = wire_ratio_of_ratios(report.load, backend, endpoint, level, upper, lower)
                if ratio is None:
                    continue
                rows.append(
                    [
                        f"over the wire, c{level} (requests/s)",
                        endpoint,
                        MISSING,
                        MISSING,
                        format_wire_ratio(ratio),
                    ]
                )
    return rows


def _find(timing: Timing | None, denominator: str | None) -> Ratio | None:
    if timing is None or denominator is None:
        return None
    return next((r for r in timing.ratios if r.denominator == denominator), None)


def _breakdown_rows(report: Report, backend: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for item in report.breakdown:
        if item.backend != backend or not any(
            item.gap.startswith(f"{upper} − {lower} ") for upper, lower in twin_pairs()
        ):
            continue
        parts = {part.name.split(" (", 1)[0]: part.us for part in item.parts}
        rows.append(
            [
                item.operation,
                item.gap.split(" (", 1)[0],
                f"{item.gap_us:+,.1f}",
                *(
                    MISSING if key not in parts else f"{parts[key]:+,.1f}"
                    for key in BREAKDOWN_COLUMNS
                ),
                f"{item.unexplained_us:+,.1f}",
            ]
        )
    return rows


BREAKDOWN_COLUMNS = (
    "the framework on asyncio: async def endpoint and dependencies, no thread-pool hop",
    "the session dependency on the event loop instead of the thread pool",
    "the async driver alone",
    "SQLAlchemy's asyncio layer: greenlet bridge, adapted driver",
)
BREAKDOWN_HEADERS = (
    "operation",
    "gap",
    "µs per request",
    "framework (hops saved)",
    "session dependency",
    "driver",
    "SQLAlchemy asyncio layer",
    "rest",
)


def async_sections(report: Report) -> list[str]:
    """*Async against sync*, per backend where any asyncio rung was measured."""
    backends = ordered_backends(
        [t.backend for t in report.timings if is_async(t.rung)]
        + [r.backend for r in report.load if is_async(r.app)]
    )
    if not backends:
        return []
    lines = ["## Async against sync", "", SECTION_INTRO, ""]
    for backend in backends:
        lines += [f"### {backend}", ""]
        sentence = async_sentence(report, backend)
        if sentence:
            lines += [sentence, ""]
        rows = _in_process_rows(report, backend)
        if rows:
            headers = ["layer", "operation", "async/sync", "async µs", "sync µs", "time", "instr."]
            lines += [
                "In process (time per operation; *instr.*: the ratio of instructions counted "
                "by callgrind, where counted — a time ratio well above it is waiting, not "
                "work: thread hand-offs and the event loop's wake-ups):",
                "",
                *markdown_table(headers, rows),
                "",
            ]
        waiting = _waiting_sentence(report, backend)
        if waiting:
            lines += [waiting, ""]
        rows = _wire_rows(report, backend)
        if rows:
            headers = ["async/sync", "endpoint", "concurrency", "requests/s", "server CPU/request"]
            lines += ["Over the wire:", "", *markdown_table(headers, rows), ""]
        rows = _breakdown_rows(report, backend)
        if rows:
            lines += [
                "Where the time went, per whole request in process (µs; medians of layers "
                "measured separately; negative parts are time asyncio saves; details under "
                '"Where the time goes"):',
                "",
                *markdown_table(BREAKDOWN_HEADERS, rows),
                "",
            ]
        rows = _orm_cost_rows(report, backend)
        if rows:
            headers = ["layer", "operation", "async pair", "sync pair", "async pair / sync pair"]
            lines += [ORM_COST_INTRO, "", *markdown_table(headers, rows), ""]
    return lines


def _waiting_sentence(report: Report, backend: str) -> str | None:
    """Where the data layer's async/sync time ratio and instruction ratio part, for the
    first async variant measured on get_one: what asyncio costs in waiting, not in work."""
    index = TimingIndex(report.timings)
    for upper, lower in twin_pairs():
        timing = index.get("data", backend, upper, "get_one")
        ratio = None if timing is None else twin_ratio(timing)
        counted = None if timing is None else instruction_ratio(report, timing, lower)
        if timing is None or ratio is None or counted is None:
            continue
        if ratio.interval.low <= counted <= ratio.interval.high:
            return (
                f"At the data layer, {upper} takes {format_ratio_interval(ratio.interval)} "
                f"{lower}'s time on get_one and runs {counted:.2f}× its instructions: the time "
                "asyncio adds here is work the CPU does."
            )
        head = (
            f"At the data layer, {upper} takes {format_ratio_interval(ratio.interval)} "
            f"{lower}'s time on get_one"
        )
        if ratio.interval.low > counted:
            return (
                f"{head} but runs only {counted:.2f}× its instructions: the rest of the time "
                "is waiting — for the driver's thread or socket, and for the event loop to "
                "wake — which instructions do not count."
            )
        return f"{head} and runs {counted:.2f}× its instructions."
    return None


# --- the answer's sentence --------------------------------------------------------------------


def _in_process_twin(report: Report, backend: str, rung: str, operation: str) -> Ratio | None:
    timing = TimingIndex(report.timings).get("asgi", backend, rung, operation)
    return None if timing is None else twin_ratio(timing)


def _family_words(upper: str, lower: str, ratio: Ratio) -> str:
    text = f"the {upper} app takes {format_ratio_interval(ratio.interval)} the {lower} app's time"
    return text if ratio.significant else f"{text} (not significantly different)"


def async_sentence(report: Report, backend: str) -> str | None:
    """One sentence: per family, an async request's time against the sync one's in process
    (and over HTTP at c16 where loaded), and whether the ORM's cost over Core changes."""
    pairs = [(upper, lower) for upper, lower in twin_pairs() if lower is not None]
    for operation in SENTENCE_OPERATIONS:
        found = [
            (upper, lower, ratio)
            for upper, lower in pairs
            if (ratio := _in_process_twin(report, backend, upper, operation)) is not None
        ]
        if not found:
            continue
        families = "; ".join(_family_words(upper, lower, ratio) for upper, lower, ratio in found)
        text = f"On asyncio ({backend}, a {operation} request in process), {families}"
        wire = _wire_twin_words(report, backend, operation, [u for u, _, _ in found])
        if wire:
            text += f"; over HTTP at c16 {wire}"
        text += _orm_cost_words(report, backend, operation)
        return text + "."
    return None


def _wire_twin_words(report: Report, backend: str, operation: str, apps: list[str]) -> str:
    parts = []
    for app in apps:
        twin = sync_twin(app)
        run = next(
            (
                r
                for r in usable_runs(report.load)
                if (r.backend, r.app, r.endpoint, r.concurrency, r.workers)
                == (backend, app, operation, 16, 1)
            ),
            None,
        )
        ratio = (
            None if run is None else next((r for r in run.ratios if r.denominator == twin), None)
        )
        if ratio is None:
            continue
        words = f"{app} serves {format_ratio_interval(ratio.interval)} {twin}'s requests/s"
        if not pinned_down(ratio):
            words += " (not pinned down on this machine)"
        elif not ratio.significant:
            words += " (not significant)"
        parts.append(words)
    return " and ".join(parts)


def _orm_cost_words(report: Report, backend: str, operation: str) -> str:
    index = TimingIndex(report.timings)
    for upper, lower in async_pairs():
        ratio = ratio_of_ratios(index, "asgi", backend, operation, upper, lower)
        sync_pair = next(iter(compared_pairs()), None)
        if ratio is None or sync_pair is None:
            continue
        if not ratio.significant:
            return (
                f"; the ORM's cost over Core does not change significantly under asyncio "
                f"({upper}/{lower} over {ratio.denominator}: "
                f"{format_ratio_interval(ratio.interval)})"
            )
        direction = "less" if ratio.interval.median < 1 else "more"
        return (
            f"; relative to hand-written SQL the ORM costs {direction} under asyncio "
            f"({upper}/{lower} over {ratio.denominator}: {format_ratio_interval(ratio.interval)})"
        )
    return ""
