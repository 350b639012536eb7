"""A log-log PNG chart of cost against rows: per backend, each size series' medians and lines.

One panel per (layer, series) measured: lists and inserts at the data layer, lists as whole
requests in process. Points are the medians of each size with their 95% intervals; the dashed
line is the fitted ``fixed + per_row × rows`` (``benchmarks.curves``). Log-log because the
sizes span three decades: a line that bends from flat (fixed cost dominates) to a slope of one
(rows dominate) shows where each rung's per-row cost takes over. Only the main rungs and the
kept-open ones are drawn; the knobs are in the report's table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from benchmarks.charts import DPI, ordered_backends, rung_color  # noqa: E402
from benchmarks.ladder import FLOOR, RAW, knob_of, variant_names  # noqa: E402
from benchmarks.registry import OPERATIONS  # noqa: E402
from benchmarks.results import CostFit, Report, Timing  # noqa: E402
from benchmarks.rungs.kept_open import KNOB as KEPT_OPEN  # noqa: E402

PANELS = (
    ("data", "list", "data layer: list N rows"),
    ("data", "insert", "data layer: insert N rows, one transaction"),
    ("asgi", "list", "whole request in process: GET /todos?limit=N"),
)


def curves_title(backend: str) -> str:
    """The chart's title, also its key in the report's chart map."""
    return f"Cost against rows on {backend} (log-log)"


KEY = "points: medians with 95% intervals; lines: fixed + per-row × rows, fitted"


def charted(rung: str) -> bool:
    """The rungs drawn: the baselines, the variants and their kept-open rungs."""
    if rung in (RAW, FLOOR) or rung in variant_names():
        return True
    return knob_of(rung) is not None and rung.endswith(f"+{KEPT_OPEN}")


def _size_timings(timings: Sequence[Timing], fit: CostFit) -> dict[int, Timing]:
    found = {}
    for timing in timings:
        operation = OPERATIONS.get(timing.operation)
        if (
            operation is not None
            and operation.series == fit.series
            and (timing.backend, timing.layer, timing.rung) == (fit.backend, fit.layer, fit.rung)
        ):
            found[operation.rows] = timing
    return found


def _panel(axes: Axes, fits: Sequence[CostFit], timings: Sequence[Timing]) -> None:
    rungs = [fit.rung for fit in fits]
    for fit in fits:
        kept = knob_of(fit.rung) is not None
        color = rung_color(knob_of(fit.rung) or fit.rung, rungs)
        by_size = _size_timings(timings, fit)
        sizes = [size for size in fit.sizes if size in by_size]
        medians = [by_size[size].interval.median for size in sizes]
        below = [max(m - by_size[s].interval.low, 0.0) for s, m in zip(sizes, medians, strict=True)]
        above = [
            max(by_size[s].interval.high - m, 0.0) for s, m in zip(sizes, medians, strict=True)
        ]
        axes.errorbar(
            sizes,
            medians,
            yerr=[below, above],
            fmt="s" if kept else "o",
            color=color,
            mfc="white" if kept else color,
            capsize=2,
            label=fit.rung,
        )
        if fit.fixed_us is not None and fit.per_row_us is not None:
            xs = np.geomspace(min(fit.sizes), max(fit.sizes), 50)
            ys = fit.fixed_us.median + fit.per_row_us.median * xs
            axes.plot(xs, np.clip(ys, 1e-3, None), linestyle=":" if kept else "--", color=color)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
    axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("rows per call")
    axes.set_ylabel("µs per call")
    axes.grid(which="both", alpha=0.3)
    axes.legend(fontsize="small")


def curve_chart(report: Report, backend: str, path: Path) -> Path:
    """Draw every measured series of ``backend``, one panel each."""
    panels = []
    for layer, series, title in PANELS:
        fits = [
            c
            for c in report.curves
            if (c.backend, c.layer, c.series) == (backend, layer, series) and charted(c.rung)
        ]
        if fits:
            panels.append((title, fits))
    if not panels:
        raise ValueError(f"no cost curves on {backend}")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.2 * len(panels), 4.6), layout="constrained", squeeze=False
    )
    try:
        for ax, (title, fits) in zip(axes[0], panels, strict=True):
            _panel(ax, fits, report.timings)
            ax.set_title(title, fontsize="medium")
        fig.suptitle(f"{curves_title(backend)}\n{KEY}", fontsize="medium")
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


def write_curve_charts(report: Report, output_dir: Path) -> dict[str, str]:
    """One chart per backend with cost curves; map each title to its file name."""
    charts: dict[str, str] = {}
    for backend in ordered_backends(c.backend for c in report.curves):
        name = f"curves-{backend}.png"
        curve_chart(report, backend, output_dir / name)
        charts[curves_title(backend)] = name
    return charts
