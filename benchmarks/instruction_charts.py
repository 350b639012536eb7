"""A PNG chart of instruction counts: per backend, the main rungs of each layer side by side.

Only the main rungs (the layer's baseline, raw or floor, then each registered variant) are
drawn: the ORM knobs are in the tables, and eight bars per operation would hide the ladder the
chart is there to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from benchmarks.charts import DPI, ordered_backends, ordered_operations  # noqa: E402
from benchmarks.ladder import (  # noqa: E402
    FLOOR,
    FLOOR_ASYNC,
    RAW,
    RAW_ASYNC,
    async_variants,
    colour,
    sync_variants,
)
from benchmarks.results import InstructionCount, Report  # noqa: E402

PANEL_TITLES = {"data": "data layer", "asgi": "whole request in process (ASGI)"}


def instructions_title(backend: str) -> str:
    """The chart's title, also its key in the report's chart map."""
    return f"Instructions per operation on {backend} (callgrind)"


def main_rungs(layer: str) -> tuple[str, ...]:
    """The main ladder of a layer: its baseline (raw or floor), then every sync variant; then
    the same on asyncio (the async baseline, every async variant)."""
    sync = tuple(v.name for v in sync_variants())
    asynchronous = tuple(v.name for v in async_variants())
    if layer == "data":
        return (RAW, *sync, RAW_ASYNC, *asynchronous)
    return (FLOOR, *sync, FLOOR_ASYNC, *asynchronous)


def _panel(axes: Axes, counts: Sequence[InstructionCount], layer: str) -> None:
    rungs = [r for r in main_rungs(layer) if any(c.rung == r for c in counts)]
    operations = ordered_operations(c.operation for c in counts if c.rung in rungs)
    by_key = {(c.rung, c.operation): c.instructions_per_operation for c in counts}
    width = 0.8 / max(1, len(rungs))
    for index, rung in enumerate(rungs):
        positions = [o + (index - (len(rungs) - 1) / 2) * width for o in range(len(operations))]
        values = [by_key.get((rung, operation), 0.0) for operation in operations]
        axes.bar(positions, values, width, label=rung, color=colour(rung) or "tab:green")
    axes.set_yscale("log")
    axes.set_xticks(range(len(operations)), operations, rotation=30, ha="right")
    axes.set_ylabel("instructions per operation (log scale)")
    axes.set_title(PANEL_TITLES[layer])
    axes.legend()


def instructions_chart(report: Report, backend: str, path: Path) -> bool:
    """Draw ``backend``'s counts into ``path``; False (nothing drawn) when it has none."""
    layers = [
        layer
        for layer in PANEL_TITLES
        if any(c.backend == backend and c.layer == layer for c in report.instructions)
    ]
    if not layers:
        return False
    figure, panels = plt.subplots(1, len(layers), figsize=(6 * len(layers), 4.5), squeeze=False)
    try:
        for axes, layer in zip(panels[0], layers, strict=True):
            counts = [c for c in report.instructions if c.backend == backend and c.layer == layer]
            _panel(axes, counts, layer)
        figure.suptitle(instructions_title(backend))
        figure.tight_layout()
        figure.savefig(path, dpi=DPI)
    finally:
        plt.close(figure)
    return True


def write_instruction_charts(report: Report, output_dir: Path) -> dict[str, str]:
    """One chart per backend that has counts; map each title to its file name."""
    charts: dict[str, str] = {}
    for backend in ordered_backends(c.backend for c in report.instructions):
        name = f"instructions-{backend}.png"
        if instructions_chart(report, backend, output_dir / name):
            charts[instructions_title(backend)] = name
    return charts
