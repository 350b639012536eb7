"""Render a benchmark ``Report``: ``report.json``, ``report.md`` with charts, a terminal summary.

The JSON is the record (every sample, for re-analysis); the Markdown is for people: medians
with their intervals, ratios marked "n.s." when the interval includes 1.0, and a ⚠ wherever a
rung sends a different number of SQL statements than core, because a timing difference that
comes from doing different work is not the cost of the ORM.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import median
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from benchmarks.charts import (
    app_key,
    ladder_title,
    load_title,
    ordered_backends,
    ordered_operations,
    ordered_rungs,
    select_timings,
    write_charts,
)
from benchmarks.instruction_charts import instructions_title, write_instruction_charts
from benchmarks.instruction_report import instruction_sections
from benchmarks.ladder import FLOORS, RAW, bench_variants, compared_pairs, reference
from benchmarks.report_html import render_html
from benchmarks.results import Gate, Interval, LoadRun, Ratio, Report, Target, Timing

TITLE = "ORM vs SQL: benchmark report"
LAYER_HEADINGS = {"data": "Data layer", "asgi": "Whole app in process (ASGI)"}
HOW_TO_READ = (
    "Times are medians of per-repeat values, in µs per operation, with their 95% bootstrap "
    "interval in brackets. Ratios such as orm/core are medians of per-repeat ratios, both "
    "sides measured interleaved in the same repeat so that drift in the machine cancels out, "
    "also with 95% bootstrap intervals; **n.s.** marks a ratio whose interval includes 1.0, "
    "i.e. no significant difference. A ⚠ after a query count means that rung sends a "
    "different number of SQL statements per operation than core, so its time is not "
    "comparable like for like. Latencies over the wire are in ms."
)
MISSING = "—"
WARNING_MARK = " ⚠"
NOT_SIGNIFICANT = " n.s."
LATENCY_KEYS = ("p50", "p90", "p99", "max")


# --- number formatting ------------------------------------------------------------------------


def format_us(value: float) -> str:
    """Microseconds to 3 significant figures with thousands separators: ``45.2``, ``1,230``.

    Three figures because run-to-run noise is rarely below 1%: more digits would be noise.
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.3g}")
    exponent = math.floor(math.log10(abs(rounded)))
    return f"{rounded:,.{max(0, 2 - exponent)}f}"


def format_ratio_value(value: float) -> str:
    """A ratio with 2 decimals, which resolves the 1% differences the intervals can show."""
    return f"{value:.2f}"


def format_interval_us(interval: Interval) -> str:
    """``median [low–high]`` in µs."""
    low, high = format_us(interval.low), format_us(interval.high)
    return f"{format_us(interval.median)} [{low}–{high}]"


def format_ratio(ratio: Ratio) -> str:
    """``1.84× [1.70–1.95]``, followed by `` n.s.`` when the ratio is not significant."""
    interval = ratio.interval
    low, high = format_ratio_value(interval.low), format_ratio_value(interval.high)
    text = f"{format_ratio_value(interval.median)}× [{low}–{high}]"
    return text if ratio.significant else text + NOT_SIGNIFICANT


def format_count(value: float) -> str:
    """A query count: whole numbers without decimals, fractions (amortized) to 3 figures."""
    return f"{value:.3g}"


def ratio_name(ratio: Ratio) -> str:
    """``numerator/denominator``, e.g. ``orm/core``."""
    return f"{ratio.numerator}/{ratio.denominator}"


# --- Markdown building blocks -----------------------------------------------------------------


def _cell(value: object) -> str:
    """A table cell: pipes escaped and newlines flattened so that they cannot break the row."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table, as lines."""
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def _chart_lines(title: str, chart_files: Mapping[str, str]) -> list[str]:
    """The image link of a chart, or nothing when that chart was not drawn."""
    file_name = chart_files.get(title)
    return [] if file_name is None else [f"![{title}]({file_name})", ""]


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts as ``a.b`` keys, so that the environment fits a two-column table."""
    rows: list[tuple[str, str]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            rows.append((name, ", ".join(str(item) for item in value)))
        else:
            rows.append((name, str(value)))
    return rows


# --- sections ---------------------------------------------------------------------------------


def _how_to_read() -> list[str]:
    """Say what the numbers are before showing them, so a ratio is not misread as a time."""
    return ["## How to read this", "", HOW_TO_READ, ""]


def _environment(report: Report) -> list[str]:
    """Where and how the figures were measured: without it they cannot be compared."""
    lines = ["## Environment", ""]
    run = f"Profile **{report.profile}**, created {report.created_at}"
    lines += [f"{run}, schema version {report.schema_version}.", ""]
    lines += markdown_table(["environment", "value"], flatten(report.environment)) + [""]
    lines += ["Settings:", ""]
    lines += markdown_table(["setting", "value"], flatten(report.settings)) + [""]
    return lines


def failed_gates(gates: Sequence[Gate]) -> list[Gate]:
    """The gates that did not pass."""
    return [gate for gate in gates if not gate.passed]


def _gates(report: Report) -> list[str]:
    """Gates first: a figure from an app that does the wrong thing measures nothing."""
    lines = ["## Gates", ""]
    rows = [(g.name, "✅" if g.passed else "❌", g.detail) for g in report.gates]
    lines += markdown_table(["gate", "passed", "detail"], rows) + [""]
    failed = failed_gates(report.gates)
    if failed:
        names = ", ".join(gate.name for gate in failed)
        lines += [f"**Failed: {names}. Figures of the failing app are not reported.**", ""]
    return lines


def _timing_table(timings: Sequence[Timing], operations: Sequence[str]) -> list[str]:
    """Medians with intervals: a median alone hides how noisy a rung was."""
    rungs = ordered_rungs(timings)
    by_key = {(t.operation, t.rung): t for t in timings}
    rows = []
    for operation in operations:
        cells = [by_key.get((operation, rung)) for rung in rungs]
        rows.append([operation, *(format_interval_us(t.interval) if t else MISSING for t in cells)])
    return markdown_table(["µs per operation", *rungs], rows)


def _ratio_table(timings: Sequence[Timing], operations: Sequence[str]) -> list[str]:
    """One column per ratio name, in ladder order of the numerator's rung."""
    names = ordered_operations(ratio_name(r) for t in timings for r in t.ratios)
    if not names:
        return []
    by_key = {(t.operation, ratio_name(r)): r for t in timings for r in t.ratios}
    rows = []
    for operation in operations:
        ratios = [by_key.get((operation, name)) for name in names]
        rows.append([operation, *(format_ratio(r) if r else MISSING for r in ratios)])
    return ["Ratios:", "", *markdown_table(["ratio", *names], rows), ""]


def query_cell(timing: Timing | None, core: Timing | None) -> str:
    """The query count, with ⚠ when it differs from the reference variant's (core's) count
    for the same operation.

    The floors have no database, so their zero is expected and never flagged.
    """
    if timing is None or timing.queries_per_operation is None:
        return MISSING
    count = timing.queries_per_operation
    text = format_count(count)
    if timing.rung in FLOORS or core is None or core.queries_per_operation is None:
        return text
    differs = not math.isclose(count, core.queries_per_operation, rel_tol=1e-9, abs_tol=1e-9)
    return text + WARNING_MARK if differs else text


def _query_table(timings: Sequence[Timing], operations: Sequence[str]) -> list[str]:
    if all(t.queries_per_operation is None for t in timings):
        return []
    rungs = ordered_rungs(timings)
    by_key = {(t.operation, t.rung): t for t in timings}
    rows = []
    for operation in operations:
        core = by_key.get((operation, reference().name))
        cells = [query_cell(by_key.get((operation, rung)), core) for rung in rungs]
        rows.append([operation, *cells])
    table = markdown_table(["queries per operation", *rungs], rows)
    return ["SQL statements sent per operation:", "", *table, ""]


def _layer(report: Report, backend: str, layer: str, chart_files: Mapping[str, str]) -> list[str]:
    """Times, ratios and query counts of one layer on one backend, then its chart."""
    timings = select_timings(report, backend, layer)
    if not timings:
        return []
    operations = ordered_operations(t.operation for t in timings)
    heading = LAYER_HEADINGS.get(layer, f"{layer} layer")
    lines = [f"## {heading} on {backend}", "", *_timing_table(timings, operations), ""]
    lines += _ratio_table(timings, operations)
    lines += _query_table(timings, operations)
    return lines + _chart_lines(ladder_title(backend, layer), chart_files)


def _window(run: LoadRun) -> str:
    """The windows that ran: ``5 × 0.20 s`` (median), then the warm-up before each."""
    if not run.window_s:
        return MISSING
    return f"{len(run.window_s)} × {median(run.window_s):.2f} s (+{run.warmup_s:.2f} s)"


def _load_row(run: LoadRun) -> list[object]:
    """One run; errors and timeouts stay beside the rate, which they would otherwise flatter.

    An invalid cell (a status other than the expected one in a measured window) shows no
    rate: it says **invalid** and how many responses, of which statuses, made it so.
    """
    latencies = [
        format_us(run.latency_ms[key]) if key in run.latency_ms else MISSING for key in LATENCY_KEYS
    ]
    rate = f"**invalid**: {run.unexpected_text()}" if run.invalid else format_us(run.requests_per_s)
    app = run.app if run.workers == 1 else f"{run.app} ×{run.workers} workers"
    ratios = [f"{ratio_name(r)} {format_ratio(r)}" for r in run.ratios if run.workers > 1]
    if ratios:
        rate += f" ({'; '.join(ratios)})"
    return [
        app,
        run.endpoint,
        run.concurrency,
        rate,
        *latencies,
        run.errors,
        run.unexpected,
        run.timeouts,
        _window(run),
    ]


def _load_backend(
    runs: Sequence[LoadRun],
    backend: str,
    chart_files: Mapping[str, str],
    ceiling_rps: float | None = None,
) -> list[str]:
    endpoints = ordered_operations(r.endpoint for r in runs)
    ordered = sorted(
        runs, key=lambda r: (app_key(r.app), endpoints.index(r.endpoint), r.concurrency)
    )
    headers = ["app", "endpoint", "concurrency", "requests/s"]
    headers += [f"{key} ms" for key in LATENCY_KEYS]
    headers += ["errors", "unexpected statuses", "timeouts", "windows (+warm-up)"]
    lines = [f"## Over the wire on {backend}", ""]
    lines += markdown_table(headers, [_load_row(r) for r in ordered]) + [""]
    invalid = [r for r in runs if r.invalid]
    if invalid:
        lines += [
            f"{len(invalid)} cell(s) answered a status other than the operation's expected one "
            "inside a measured window: they are **invalid**, and no ratio, target or "
            "conclusion is drawn from them.",
            "",
        ]
    generators = sorted({r.generator for r in runs})
    noun = "Load generator" if len(generators) == 1 else "Load generators"
    lines += [f"{noun}: {', '.join(generators)}.", ""]
    valid = [r.requests_per_s for r in runs if not r.invalid]
    if ceiling_rps and valid:
        best = max(valid)
        lines += [
            f"Its ceiling: {format_us(ceiling_rps)} requests/s at c16 against a server that "
            f"only answers, {ceiling_rps / best:.1f}× the most any app served here "
            f"({format_us(best)} requests/s): the figures above measure the apps, not the "
            "generator.",
            "",
        ]
    return lines + _chart_lines(load_title(backend), chart_files)


def _load(report: Report, chart_files: Mapping[str, str]) -> list[str]:
    """Each app served by uvicorn in its own process: what a client actually sees."""
    if not report.load:
        return ["## Over the wire", "", "No load runs in this run.", ""]
    lines: list[str] = []
    for backend in ordered_backends(r.backend for r in report.load):
        runs = [r for r in report.load if r.backend == backend]
        ceiling = report.settings.get("load_generator_ceiling_rps")
        lines += _load_backend(
            runs, backend, chart_files, ceiling if isinstance(ceiling, int | float) else None
        )
    return lines


def share(part_us: float, gap_us: float) -> str:
    """A part's share of the gap, in whole percent (``—`` for a zero gap)."""
    return MISSING if gap_us == 0 else f"{part_us / gap_us * 100:.0f}%"


def _breakdown_item(item: Mapping[str, Any]) -> list[str]:
    """One gap: its parts, their shares, and how much of it no part accounts for."""
    gap_us = float(item["gap_us"])
    parts: list[Mapping[str, Any]] = list(item["parts"])
    heading = f"### {item['backend']} · {item['operation']}: {item['gap']} = {format_us(gap_us)} µs"
    rows = [
        (p["name"], format_us(float(p["us"])), share(float(p["us"]), gap_us), p["source"])
        for p in parts
    ]
    explained = share(sum(float(p["us"]) for p in parts), gap_us)
    unexplained = format_us(float(item["unexplained_us"]))
    lines = [heading, "", *markdown_table(["part", "µs", "share of gap", "source"], rows), ""]
    return lines + [f"explained: {explained} of the gap; unexplained: {unexplained} µs", ""]


def _breakdown(report: Report) -> list[str]:
    """The ORM's extra time split into parts, so that the gap is not one opaque number."""
    lines = ["## Where the time goes", ""]
    if not report.breakdown:
        return [*lines, "No breakdown in this run.", ""]
    for item in report.breakdown:
        lines += _breakdown_item(item)
    return lines


def met_mark(target: Target) -> str:
    """✅ met, ❌ missed, — not measured in this run."""
    return MISSING if target.met is None else "✅" if target.met else "❌"


def _targets(report: Report) -> list[str]:
    """Goals with what this run measured; — marks a goal this run could not check."""
    rows = [(t.name, t.goal, t.measured, met_mark(t)) for t in report.targets]
    return ["## Targets", "", *markdown_table(["target", "goal", "measured", "met"], rows), ""]


def _conclusions(report: Report) -> list[str]:
    """The producer's conclusions, last, after the figures they rest on."""
    bullets = [f"- {c}" for c in report.conclusions] or ["No conclusions drawn."]
    return ["## Conclusions", "", *bullets, ""]


def _leftover_charts(chart_files: Mapping[str, str], embedded: set[str]) -> list[str]:
    """Charts no section claimed, so that a chart written to disk is never left unlinked."""
    rest = [title for title in chart_files if title not in embedded]
    if not rest:
        return []
    lines = ["## Other charts", ""]
    for title in rest:
        lines += _chart_lines(title, chart_files)
    return lines


def _embedded_titles(report: Report) -> set[str]:
    """Titles of the charts that the per-backend sections embed."""
    backends = {t.backend for t in report.timings}
    titles = {ladder_title(t.backend, t.layer) for t in report.timings}
    titles |= {instructions_title(c.backend) for c in report.instructions}
    return titles | {load_title(b) for b in backends | {r.backend for r in report.load}}


def render_markdown(report: Report, chart_files: dict[str, str]) -> str:
    """The whole report as Markdown; ``chart_files`` maps chart titles to files beside it."""
    lines = [f"# {TITLE}", "", *_how_to_read(), *_environment(report), *_gates(report)]
    for backend in ordered_backends(t.backend for t in report.timings):
        for layer in ("data", "asgi"):
            lines += _layer(report, backend, layer, chart_files)
    lines += instruction_sections(report, chart_files)
    lines += _load(report, chart_files)
    lines += _breakdown(report) + _targets(report) + _conclusions(report)
    lines += _leftover_charts(chart_files, _embedded_titles(report))
    return "\n".join(lines).rstrip("\n") + "\n"


def write_report(report: Report, output_dir: Path) -> list[Path]:
    """Write ``report.json``, the charts, ``report.md`` and ``report.html`` into ``output_dir``;
    return the paths.

    Keys are sorted so that two runs' JSON files diff cleanly.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    chart_files = write_charts(report, output_dir)
    chart_files |= write_instruction_charts(report, output_dir)
    json_path = output_dir / "report.json"
    json_text = json.dumps(report.to_json(), indent=2, sort_keys=True, ensure_ascii=False)
    json_path.write_text(json_text + "\n", encoding="utf-8")
    markdown = render_markdown(report, chart_files)
    markdown_path = output_dir / "report.md"
    markdown_path.write_text(markdown, encoding="utf-8")
    html_path = output_dir / "report.html"
    html_path.write_text(render_html(markdown, output_dir, TITLE), encoding="utf-8")
    charts = [output_dir / name for name in chart_files.values()]
    return [json_path, markdown_path, html_path, *charts]


# --- terminal summary -------------------------------------------------------------------------


def _find_ratio(timing: Timing | None, numerator: str, denominator: str) -> Ratio | None:
    """The ratio ``numerator/denominator`` a timing carries, if it was measured."""
    if timing is None:
        return None
    wanted = (numerator, denominator)
    return next((r for r in timing.ratios if (r.numerator, r.denominator) == wanted), None)


def _summary_rungs() -> list[str]:
    """The summary's time columns: the raw driver, then every variant."""
    return [RAW, *(variant.name for variant in bench_variants())]


def _summary_ratios() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The summary's ratio columns: each variant over its baseline variant (with interval),
    then each variant with no baseline over the raw driver (median only)."""
    plain = [(v.name, RAW) for v in bench_variants() if v.baseline is None]
    return compared_pairs(), plain


def _summary_row(timings: Mapping[str, Timing], backend: str, operation: str) -> list[Text]:
    """One operation: the main rungs' medians, the variants' ratios (see ``_summary_ratios``)."""
    medians = [timings.get(rung) for rung in _summary_rungs()]
    with_interval, plain = _summary_ratios()
    cells = [backend, operation]
    cells += [format_us(t.interval.median) if t else MISSING for t in medians]
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


def summary_table(report: Report) -> Table:
    """The data layer in one compact table: what each variant costs per operation, per backend."""
    table = Table(title="Data layer: median µs per operation", title_justify="left")
    table.add_column("backend", no_wrap=True)
    table.add_column("operation", no_wrap=True)
    for rung in _summary_rungs():
        table.add_column(f"{rung} µs", justify="right", no_wrap=True)
    with_interval, plain = _summary_ratios()
    # The interval is the widest cell: on a narrow terminal it is the one allowed to wrap.
    for upper, lower in with_interval:
        table.add_column(f"{upper}/{lower} [95% CI]", justify="right")
    for upper, lower in plain:
        table.add_column(f"{upper}/{lower}", justify="right", no_wrap=True)
    for backend in ordered_backends(t.backend for t in report.timings):
        timings = select_timings(report, backend, "data")
        for operation in ordered_operations(t.operation for t in timings):
            by_rung = {t.rung: t for t in timings if t.operation == operation}
            table.add_row(*_summary_row(by_rung, backend, operation))
    return table


def gate_status(gates: Sequence[Gate]) -> str:
    """One line: all gates passed, or which ones failed."""
    failed = failed_gates(gates)
    if not failed:
        return f"Gates: all {len(gates)} passed ✅"
    names = ", ".join(gate.name for gate in failed)
    return f"Gates: {len(failed)} of {len(gates)} failed ❌ ({names})"


def print_summary(report: Report, console: Console | None = None) -> None:
    """Print the summary table and the gate status (to stdout unless a console is given)."""
    console = console or Console()
    console.print(summary_table(report))
    failed = bool(failed_gates(report.gates))
    console.print(Text(gate_status(report.gates), style="bold red" if failed else "green"))
