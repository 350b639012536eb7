"""The terminal's summary of a run: the data layer in one table per backend, the gates and
targets in words, then *The answer* and where the report is — last, where the eye lands.

It fits a terminal of 100 columns: every cell is kept on one line (``no_wrap``), and one
table per backend leaves room for the widest cell, a ratio with its interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from benchmarks.charts import ordered_backends, ordered_operations, select_timings
from benchmarks.formatting import (
    MISSING,
    NOT_SIGNIFICANT,
    format_ratio,
    format_ratio_value,
    format_us,
)
from benchmarks.ladder import RAW, compared_pairs, sync_variants
from benchmarks.report import crash_count, failed_gates, target_counts
from benchmarks.results import Gate, Ratio, Report, Timing
from benchmarks.verdict import the_answer

WIDTH = 100
"""The narrowest terminal the summary is made for (tested)."""


def _find_ratio(timing: Timing | None, numerator: str, denominator: str) -> Ratio | None:
    """The ratio ``numerator/denominator`` a timing carries, if it was measured."""
    if timing is None:
        return None
    wanted = (numerator, denominator)
    return next((r for r in timing.ratios if (r.numerator, r.denominator) == wanted), None)


def _summary_rungs() -> list[str]:
    """The summary's time columns: the raw driver, then every sync variant (the async ones
    are in the report, and in the answer's sentence on asyncio)."""
    return [RAW, *(variant.name for variant in sync_variants())]


def _summary_ratios() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The summary's ratio columns: each variant over its baseline variant (with interval),
    then each variant with no baseline over the raw driver (median only)."""
    plain = [(v.name, RAW) for v in sync_variants() if v.baseline is None]
    return compared_pairs(), plain


def _summary_row(timings: Mapping[str, Timing], operation: str) -> list[Text]:
    """One operation: the main rungs' medians, the variants' ratios (see ``_summary_ratios``)."""
    medians = [timings.get(rung) for rung in _summary_rungs()]
    with_interval, plain = _summary_ratios()
    cells = [operation, *(format_us(t.interval.median) if t else MISSING for t in medians)]
    for upper, lower in with_interval:
        ratio = _find_ratio(timings.get(upper), upper, lower)
        cells.append(format_ratio(ratio) if ratio else MISSING)
    for upper, lower in plain:
        ratio = _find_ratio(timings.get(upper), upper, lower)
        text = MISSING
        if ratio is not None:
            text = f"{format_ratio_value(ratio.interval.median)}×"
            text += "" if ratio.significant else NOT_SIGNIFICANT
        cells.append(text)
    return [Text(cell) for cell in cells]


def summary_table(report: Report, backend: str) -> Table:
    """The data layer on one backend: what each variant costs per operation."""
    table = Table(title=f"Data layer on {backend}: median µs per operation", title_justify="left")
    table.add_column("operation", no_wrap=True)
    for rung in _summary_rungs():
        table.add_column(f"{rung} µs", justify="right", no_wrap=True)
    with_interval, plain = _summary_ratios()
    for upper, lower in with_interval:
        table.add_column(f"{upper}/{lower} [95% CI]", justify="right", no_wrap=True)
    for upper, lower in plain:
        table.add_column(f"{upper}/{lower}", justify="right", no_wrap=True)
    timings = select_timings(report, backend, "data")
    for operation in ordered_operations(t.operation for t in timings):
        by_rung = {t.rung: t for t in timings if t.operation == operation}
        table.add_row(*_summary_row(by_rung, operation))
    return table


def status_line(report: Report) -> str:
    """Gates and targets in one line, so "all passed" never stands above missed targets
    without them."""
    gates: Sequence[Gate] = report.gates
    failed = failed_gates(gates)
    if failed:
        names = ", ".join(gate.name for gate in failed)
        text = f"Gates: {len(failed)} of {len(gates)} FAILED ({names})"
    else:
        text = f"Gates: all {len(gates)} passed (same answers, statement counts)"
    crashes = crash_count(report.load)
    if crashes:
        text += f". Server crashes under load: {crashes} (windows measured again; see the report)"
    return f"{text}. Targets, judged on 95% intervals: {target_counts(report.targets)}."


def print_summary(
    report: Report, console: Console | None = None, written_to: Path | None = None
) -> None:
    """Print the tables, the status line, the answer and where the report is."""
    console = console or Console()
    for backend in ordered_backends(t.backend for t in report.timings):
        console.print(summary_table(report, backend))
    failed = bool(failed_gates(report.gates))
    console.print(Text(status_line(report), style="bold red" if failed else ""))
    sentences = the_answer(report)
    if sentences:
        console.print(Text("The answer", style="bold"))
        for sentence in sentences:
            console.print(Text(sentence))
    if written_to is not None:
        console.print(
            Text(f"Report: {written_to / 'report.html'} (report.md and report.json beside it)")
        )
