"""PNG charts of a benchmark ``Report``: the rung ladder per layer and backend, and load curves.

Charts are drawn with matplotlib's Agg backend so that they render without a display (CI,
SSH, a container). Every figure is closed once saved: a report draws several charts and
pytest runs with warnings as errors, so leaking figures would end in "too many figures".

The ordering helpers live here (not in ``report``) because both modules need them and
``report`` imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

from benchmarks.ladder import (  # noqa: E402
    FLOOR,
    FLOOR_ASYNC,
    FLOOR_ASYNC_DEPENDENCY,
    RAW,
    RAW_ASYNC,
    async_variants,
    colour,
    knob_of,
    sync_variants,
)
from benchmarks.results import LoadRun, Report, Timing  # noqa: E402

LAYERS = ("data", "asgi")
KNOWN_BACKENDS = ("sqlite", "postgresql", "mariadb")
MAX_LOAD_SERIES = 6  # more lines than this per panel is unreadable: plot one endpoint instead
DPI = 150
EXTRA_COLORS = ("tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
LINE_STYLES = ("-", "--", ":", "-.")


def ordered_backends(backends: Iterable[str]) -> list[str]:
    """Known backends in a fixed order (embedded first), unknown ones after, sorted."""
    present = set(backends)
    known = [backend for backend in KNOWN_BACKENDS if backend in present]
    return known + sorted(present - set(KNOWN_BACKENDS))


def base_rungs() -> tuple[str, ...]:
    """The ladder bottom-up: the floor or the driver alone, then the sync variants in
    registry order (the hand-written SQL app, then the ORM app), then the same on asyncio."""
    sync = tuple(v.name for v in sync_variants())
    asynchronous = tuple(v.name for v in async_variants())
    return (FLOOR, RAW, *sync, FLOOR_ASYNC, FLOOR_ASYNC_DEPENDENCY, RAW_ASYNC, *asynchronous)


def rung_key(rung: str) -> tuple[int, str]:
    """Sort key putting rungs in ladder order: floor/raw, the variants, then the knobs on a
    variant by name, and anything unforeseen last."""
    base = base_rungs()
    if rung in base:
        return (base.index(rung), "")
    if knob_of(rung) is not None:
        return (len(base), rung)
    return (len(base) + 1, rung)


def app_key(app: str) -> tuple[int, str]:
    """Sort key for load-test apps: the no-database floor first, then the variants."""
    base = (
        FLOOR,
        *(v.name for v in sync_variants()),
        FLOOR_ASYNC,
        *(v.name for v in async_variants()),
    )
    return (base.index(app), "") if app in base else (len(base), app)


def ordered_rungs(timings: Iterable[Timing]) -> list[str]:
    """The distinct rungs of ``timings`` in ladder order."""
    return sorted({timing.rung for timing in timings}, key=rung_key)


def ordered_operations(names: Iterable[str]) -> list[str]:
    """Distinct names in order of first appearance: the producer lists them in registry order."""
    return list(dict.fromkeys(names))


def select_timings(report: Report, backend: str, layer: str) -> list[Timing]:
    """The timings of one backend and layer, in ladder order of their rungs."""
    chosen = [t for t in report.timings if t.backend == backend and t.layer == layer]
    return sorted(chosen, key=lambda timing: rung_key(timing.rung))


def ladder_title(backend: str, layer: str) -> str:
    """The title of a ladder chart, also its key in ``write_charts``' mapping."""
    return f"{layer} layer on {backend}: time per operation (median, 95% CI)"


def load_title(backend: str) -> str:
    """The title of a load chart, also its key in ``write_charts``' mapping."""
    return f"over the wire on {backend}: throughput and p99 latency vs concurrency"


def rung_color(rung: str, others: Sequence[str]) -> str:
    """The same colour for a rung (or app) in every chart: grey for the benchmark's
    baselines, the registry's colour for a variant.

    Rungs without one (the knobs) take the next free colours, in the order of ``others``.
    """
    fixed = colour(rung)
    if fixed is not None:
        return fixed
    extras = [name for name in others if colour(name) is None]
    return EXTRA_COLORS[extras.index(rung) % len(EXTRA_COLORS)]


def _log_time_axis(ax: Axes, smallest: float) -> None:
    """A log y axis from the power of ten below the fastest bar, ticked at 1-2-5 in plain µs.

    Starting at a power of ten gives every bar a visible length (matplotlib would otherwise
    start the axis at the shortest bar), and plain numbers read faster than ``6×10¹``.
    """
    ax.set_yscale("log")
    ax.set_ylim(bottom=10 ** math.floor(math.log10(smallest)) if smallest > 0 else None)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _draw_ladder(ax: Axes, timings: Sequence[Timing]) -> None:
    """One group of bars per operation, one bar per rung, whiskers from the interval."""
    operations = ordered_operations(t.operation for t in timings)
    rungs = ordered_rungs(timings)
    width = 0.8 / len(rungs)
    by_key = {(t.operation, t.rung): t for t in timings}
    for index, rung in enumerate(rungs):
        xs: list[float] = []
        medians: list[float] = []
        below: list[float] = []
        above: list[float] = []
        for position, operation in enumerate(operations):
            timing = by_key.get((operation, rung))
            if timing is None:
                continue
            interval = timing.interval
            xs.append(position - 0.4 + width * (index + 0.5))
            medians.append(interval.median)
            below.append(max(interval.median - interval.low, 0.0))
            above.append(max(interval.high - interval.median, 0.0))
        color = rung_color(rung, rungs)
        ax.bar(xs, medians, width, label=rung, color=color, yerr=[below, above], capsize=2)
    _log_time_axis(ax, min(t.interval.low for t in timings))
    ax.set_xticks(range(len(operations)), operations, rotation=30 if len(operations) > 4 else 0)
    ax.set_ylabel("µs per operation (log scale)")
    ax.legend(title="rung", fontsize="small")
    ax.grid(axis="y", which="both", alpha=0.3)


def ladder_chart(report: Report, backend: str, layer: str, path: Path) -> Path:
    """Draw the rungs of one layer on one backend side by side, per operation, on a log axis.

    A log axis because a single-row read and a 20-row list differ by two orders of magnitude,
    and what matters is each rung's ratio to its neighbour, which a log axis shows as a gap.
    """
    timings = select_timings(report, backend, layer)
    if not timings:
        raise ValueError(f"no {layer} timings on {backend}")
    operation_count = len(ordered_operations(t.operation for t in timings))
    fig, ax = plt.subplots(
        figsize=(max(6.0, 1.6 * operation_count + 2.0), 4.5), layout="constrained"
    )
    try:
        _draw_ladder(ax, timings)
        ax.set_title(ladder_title(backend, layer))
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


class LoadLine(NamedTuple):
    """One line of a load chart: an app on an endpoint, its runs by rising concurrency."""

    app: str
    endpoint: str
    runs: list[LoadRun]


def load_series(runs: Sequence[LoadRun]) -> tuple[list[LoadLine], str | None]:
    """Group load runs into lines: per (app, endpoint), or per app for one endpoint if too busy.

    Returns the lines and the single endpoint kept when the chart had to be thinned (``None``
    when every endpoint is drawn).
    """
    pairs = sorted({(r.app, r.endpoint) for r in runs}, key=lambda p: (app_key(p[0]), p[1]))
    chosen: str | None = None
    if len(pairs) > MAX_LOAD_SERIES:
        chosen = ordered_operations(r.endpoint for r in runs)[0]
        pairs = [pair for pair in pairs if pair[1] == chosen]
    lines = []
    for app, endpoint in pairs:
        matching = [r for r in runs if r.app == app and r.endpoint == endpoint]
        lines.append(LoadLine(app, endpoint, sorted(matching, key=lambda r: r.concurrency)))
    return lines, chosen


def _log_concurrency_axis(ax: Axes, concurrencies: Sequence[int]) -> None:
    """A log x axis ticked exactly at the concurrencies used (no unlabelled minor ticks)."""
    ax.set_xscale("log")
    ax.set_xticks(list(concurrencies), [str(c) for c in concurrencies])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("concurrent connections")
    ax.grid(alpha=0.3)


def _draw_load(throughput: Axes, latency: Axes, runs: Sequence[LoadRun]) -> None:
    """Throughput on the left, p99 latency on the right: colour per app, dash per endpoint."""
    lines, chosen = load_series(runs)
    apps = sorted({line.app for line in lines}, key=app_key)
    endpoints = ordered_operations(line.endpoint for line in lines)
    for line in lines:
        label = line.app if chosen else f"{line.app} {line.endpoint}"
        style: dict[str, Any] = {
            "color": rung_color(line.app, apps),
            "linestyle": LINE_STYLES[endpoints.index(line.endpoint) % len(LINE_STYLES)],
            "marker": "o",
            "label": label,
        }
        xs = [r.concurrency for r in line.runs]
        throughput.plot(xs, [r.requests_per_s for r in line.runs], **style)
        p99 = [(r.concurrency, r.latency_ms["p99"]) for r in line.runs if "p99" in r.latency_ms]
        latency.plot([x for x, _ in p99], [y for _, y in p99], **style)
    concurrencies = sorted({r.concurrency for r in runs})
    suffix = "" if chosen is None else f", {chosen}"
    panels = ((throughput, "throughput", "requests/s"), (latency, "p99 latency", "ms"))
    for ax, name, unit in panels:
        _log_concurrency_axis(ax, concurrencies)
        ax.set_title(f"{name} ({unit}{suffix})")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
    throughput.legend(fontsize="small")


def load_chart(report: Report, backend: str, path: Path) -> Path:
    """Draw throughput and p99 latency against concurrency for each app served over HTTP.

    Invalid cells (unexpected statuses) are left out: a point would plot the rate of
    responses the operation did not produce; so are servers of several workers (their table
    rows and ratios against one process say what they did).
    """
    runs = [r for r in report.load if r.backend == backend and not r.invalid and r.workers == 1]
    if not runs:
        raise ValueError(f"no valid load runs on {backend}")
    fig, (throughput, latency) = plt.subplots(1, 2, figsize=(11.0, 4.5), layout="constrained")
    try:
        _draw_load(throughput, latency, runs)
        fig.suptitle(load_title(backend))
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


def write_charts(report: Report, output_dir: Path) -> dict[str, str]:
    """Draw every chart the report has data for; map each chart's title to its file name.

    File names (not paths) so that ``report.md`` can link them relative to its own directory.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    charts: dict[str, str] = {}
    for backend in ordered_backends(t.backend for t in report.timings):
        for layer in LAYERS:
            if select_timings(report, backend, layer):
                name = f"ladder-{layer}-{backend}.png"
                ladder_chart(report, backend, layer, output_dir / name)
                charts[ladder_title(backend, layer)] = name
    for backend in ordered_backends(
        r.backend for r in report.load if not r.invalid and r.workers == 1
    ):
        name = f"load-{backend}.png"
        load_chart(report, backend, output_dir / name)
        charts[load_title(backend)] = name
    return charts
