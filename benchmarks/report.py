"""``report.md`` (and from it ``report.html``) and ``report.json``: a run written for people.

The page opens with *The answer* (``benchmarks.verdict``): the verdict in a few sentences,
each figure with its interval, and the terms it uses; then the targets and gates; then the
ladder, layer by layer, with every median, interval, ratio and SQL statement count; how cost
grows with rows (``benchmarks.curve_report``); then where
the time goes; and at the end the method and the environment the figures were measured in.
Marks are words (met, missed, not significant, passed, FAILED), never emoji a reader's fonts
may not draw. The terminal's summary is ``benchmarks.terminal``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from statistics import median
from typing import Any

from benchmarks.async_report import async_sections
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
from benchmarks.curve_charts import curves_title, write_curve_charts
from benchmarks.curve_report import curve_sections
from benchmarks.formatting import (
    MISSING,
    UNPINNED,
    UNPINNED_SPREAD,
    format_count,
    format_interval_us,
    format_ratio,
    format_us,
    format_wire_ratio,
    markdown_table,
    ratio_name,
)
from benchmarks.instruction_charts import instructions_title, write_instruction_charts
from benchmarks.instruction_report import instruction_sections
from benchmarks.ladder import is_async, knob_of, statement_baseline
from benchmarks.relationship_report import relationship_sections
from benchmarks.report_html import render_html
from benchmarks.results import (
    MET,
    MISSED,
    NOT_MEASURED,
    NOT_SIGNIFICANT,
    Breakdown,
    BreakdownPart,
    Gate,
    LoadRun,
    Report,
    Target,
    Timing,
    TimingIndex,
)
from benchmarks.rungs.kept_open import KNOB as KEPT_OPEN
from benchmarks.validity import usable
from benchmarks.verdict import TERMS, the_answer

TITLE = "ORM vs SQL: benchmark report"
LAYER_HEADINGS = {"data": "Data layer", "asgi": "Whole app in process (ASGI)"}
METHOD = (
    "Times are medians of per-repeat values, in µs per operation, with their 95% bootstrap "
    "interval in brackets. Ratios such as orm/core are medians of per-repeat ratios, both "
    "sides measured interleaved in the same repeat so that drift in the machine cancels out, "
    "also with 95% bootstrap intervals; **n.s.** marks a ratio whose interval includes 1.0, "
    "i.e. no significant difference. A query count followed by (+n) or (−n) sends n more or "
    "fewer SQL statements per operation than the rung's baseline (its time is then not the "
    "cost of the same work); more is allowed only where the rung declares it (see the query "
    "counts gate). Latencies over the wire are in ms. The precise figures are the "
    "instruction counts and the in-process ratios; the over-the-wire figures are context: "
    "they depend on the machine's load more than the others."
)
TARGETS_RULE = (
    "Judged on the 95% interval of each figure: **met** when the whole interval is on the "
    "goal's side, **missed** when the whole interval is on the wrong side, **not "
    "significant** when the interval straddles the goal (this run cannot tell)."
)
LATENCY_KEYS = ("p50", "p90", "p99", "max")


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


def _answer(report: Report) -> list[str]:
    """The verdict first, then the terms it uses, defined where they first appear."""
    lines = ["## The answer", ""]
    failed = failed_gates(report.gates)
    if failed:
        names = ", ".join(gate.name for gate in failed)
        lines += [f"**A gate FAILED ({names}): read the figures below with that in mind.**", ""]
    crashes = crash_count(report.load)
    if crashes:
        apps = ", ".join(sorted({run.app for run in report.load if run.server_crashes}))
        lines += [
            f"**A server crashed under load {crashes} time(s) in this run ({apps}).** The "
            "windows it broke were measured again on a restarted server; what it was doing "
            'when it died is under "Over the wire".',
            "",
        ]
    sentences = the_answer(report)
    if not sentences:
        lines += ["This run measured none of the figures the answer is written from.", ""]
    for sentence in sentences:
        lines += [sentence, ""]
    return lines + [TERMS, ""]


def _method() -> list[str]:
    """How the figures are made: after them, for the reader who wants to check them."""
    return ["## Method", "", METHOD, ""]


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


def passed_word(gate: Gate) -> str:
    """``passed`` or ``FAILED``: words, which every font draws."""
    return "passed" if gate.passed else "FAILED"


def _gates(report: Report) -> list[str]:
    """The gates: a figure from an app that does the wrong thing measures nothing."""
    lines = ["## Gates", ""]
    rows = [(g.name, passed_word(g), g.detail) for g in report.gates]
    lines += markdown_table(["gate", "result", "detail"], rows) + [""]
    failed = failed_gates(report.gates)
    if failed:
        names = ", ".join(gate.name for gate in failed)
        lines += [f"**Failed: {names}. Figures of the failing app are not reported.**", ""]
    return lines


def split_rungs(rungs: Sequence[str]) -> list[list[str]]:
    """The ladder's sync rungs, then its asyncio rungs (when there are any), then each
    variant with its knobs, then the variants with their kept-open rungs: one table of a
    dozen intervals side by side does not fit a page, several of four or five do."""
    kept = [rung for rung in rungs if rung.endswith(f"+{KEPT_OPEN}") and knob_of(rung)]
    every = [rung for rung in rungs if knob_of(rung) is None]
    main = [rung for rung in every if not is_async(rung)]
    asynchronous = [rung for rung in every if is_async(rung)]
    groups = [main] + ([asynchronous] if asynchronous and main else [])
    if asynchronous and not main:
        groups = [asynchronous]
    for variant in [rung for rung in main if any(knob_of(r) == rung for r in rungs)]:
        knobs = [rung for rung in rungs if knob_of(rung) == variant and rung not in kept]
        if knobs:
            groups.append([variant, *knobs])
    if kept:
        groups.append([name for rung in kept for name in (knob_of(rung) or rung, rung)])
    return groups


def _group_heading(rungs: Sequence[str]) -> str:
    """What a table after the ladder's holds: the asyncio rungs, a variant's knobs, or the
    kept-open rungs."""
    if all(is_async(rung) and knob_of(rung) is None for rung in rungs):
        return (
            "On asyncio: the async driver alone, the async floor and the async variants, each "
            'against its sync twin and its async baseline (see "Async against sync"):'
        )
    if any(rung.endswith(f"+{KEPT_OPEN}") for rung in rungs):
        return (
            "Per statement: each variant's reads on one Connection or Session kept open across "
            "a sample's calls, against the variant as shipped (a unit of work per call):"
        )
    return f"The knobs on {rungs[0]}, each against {rungs[0]} as shipped:"


def _timing_table(
    timings: Sequence[Timing], operations: Sequence[str], rungs: Sequence[str]
) -> list[str]:
    """Medians with intervals: a median alone hides how noisy a rung was."""
    by_key = {(t.operation, t.rung): t for t in timings}
    rows = []
    for operation in operations:
        cells = [by_key.get((operation, rung)) for rung in rungs]
        if all(cell is None for cell in cells):
            continue
        rows.append([operation, *(format_interval_us(t.interval) if t else MISSING for t in cells)])
    return markdown_table(["µs per operation", *rungs], rows)


def _ratio_table(
    timings: Sequence[Timing],
    operations: Sequence[str],
    rungs: Sequence[str],
    *,
    async_ladder: bool = False,
) -> list[str]:
    """One column per ratio whose numerator is one of ``rungs``, in ladder order; with
    ``async_ladder``, only those against another asyncio rung (the ratios against the sync
    twins are the section *Async against sync*'s: one table of both would not fit a page)."""
    owned = [t for t in timings if t.rung in rungs]
    names = ordered_operations(
        ratio_name(r)
        for t in owned
        for r in t.ratios
        if not async_ladder or is_async(r.denominator)
    )
    if not names:
        return []
    by_key = {(t.operation, ratio_name(r)): r for t in owned for r in t.ratios}
    rows = []
    for operation in operations:
        ratios = [by_key.get((operation, name)) for name in names]
        if all(r is None for r in ratios):
            continue
        rows.append([operation, *(format_ratio(r) if r else MISSING for r in ratios)])
    return ["Ratios:", "", *markdown_table(["ratio", *names], rows), ""]


def query_cell(timing: Timing | None, every: TimingIndex) -> str:
    """The statement count as an integer, with ``(+n)``/``(−n)`` when it differs from its
    baseline's (``ladder.statement_baseline``, found in ``every``) for the same operation."""
    if timing is None or timing.queries_per_operation is None:
        return MISSING
    count = timing.queries_per_operation
    text = format_count(count)
    against = statement_baseline(timing.layer, timing.rung)
    base = (
        None
        if against is None
        else every.get(against[0], timing.backend, against[1], timing.operation)
    )
    if base is None or base.queries_per_operation is None:
        return text
    extra = count - base.queries_per_operation
    if math.isclose(extra, 0, abs_tol=1e-9):
        return text
    sign = "+" if extra > 0 else "−"
    return f"{text} ({sign}{format_count(abs(extra))} vs {base.rung})"


def _query_table(
    timings: Sequence[Timing],
    operations: Sequence[str],
    rungs: Sequence[str],
    every: TimingIndex,
) -> list[str]:
    if all(t.queries_per_operation is None for t in timings if t.rung in rungs):
        return []
    by_key = {(t.operation, t.rung): t for t in timings}
    rows = []
    for operation in operations:
        cells = [by_key.get((operation, rung)) for rung in rungs]
        if all(cell is None for cell in cells):
            continue
        rows.append([operation, *(query_cell(cell, every) for cell in cells)])
    table = markdown_table(["SQL statements per operation", *rungs], rows)
    return ["SQL statements sent per operation:", "", *table, ""]


def _layer(report: Report, backend: str, layer: str, chart_files: Mapping[str, str]) -> list[str]:
    """Times, ratios and query counts of one layer on one backend, then its chart."""
    timings = select_timings(report, backend, layer)
    if not timings:
        return []
    every = TimingIndex(report.timings)
    operations = ordered_operations(t.operation for t in timings)
    heading = LAYER_HEADINGS.get(layer, f"{layer} layer")
    lines = [f"## {heading} on {backend}", ""]
    for index, rungs in enumerate(split_rungs(ordered_rungs(timings))):
        owners = [
            rung
            for rung in rungs
            if not index or knob_of(rung) is not None or (is_async(rung) and not knob_of(rung))
        ]
        if index:
            lines += [_group_heading(rungs), ""]
        lines += [*_timing_table(timings, operations, rungs), ""]
        async_ladder = bool(index) and all(is_async(rung) for rung in rungs)
        lines += _ratio_table(timings, operations, owners, async_ladder=async_ladder)
        lines += _query_table(timings, operations, rungs, every)
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
    cpu = MISSING if run.cpu_us_per_request is None else format_us(run.cpu_us_per_request)
    return [
        app,
        run.endpoint,
        run.concurrency,
        rate,
        cpu,
        *latencies,
        format_count(run.errors),
        format_count(run.unexpected),
        format_count(run.timeouts),
        _window(run),
    ]


WIRE_RATIOS_NOTE = (
    "Each ratio is the median of per-round ratios (the two apps measured back to "
    "back in each round, the rounds spread over the whole layer) with a 95% *prediction* "
    "interval for another run's median (from the rounds' median absolute deviation, robust "
    "to a round a busy machine starved; see benchmarks/README.md): the noise of "
    "a shared machine drifts over tens of seconds, so rounds, not windows, are the "
    "independent observations, and an interval that does not contain the next run's figure "
    "would overstate what is known. Server CPU per request is user + system CPU of the "
    "server's processes and threads divided by the requests it handled: time spent waiting "
    "for the CPU is not in it, so it moves less with the machine's load than requests/s. A "
    f"ratio whose interval spans more than {UNPINNED_SPREAD}× from low to high "
    f"{UNPINNED}: only its direction, if any, is a finding."
)


def _wire_ratio_table(runs: Sequence[LoadRun]) -> list[str]:
    """Every over-the-wire comparison: requests/s and server CPU per request, side by side."""
    rows = []
    for run in runs:
        if not usable(run):
            continue
        cpu = {ratio_name(r): r for r in run.cpu_ratios}
        for ratio in run.ratios:
            other = cpu.get(ratio_name(ratio))
            rows.append(
                [
                    ratio_name(ratio),
                    run.endpoint,
                    run.concurrency,
                    format_wire_ratio(ratio),
                    MISSING if other is None else format_wire_ratio(other),
                ]
            )
    if not rows:
        return []
    headers = ["ratio", "endpoint", "concurrency", "requests/s", "server CPU per request"]
    return [*markdown_table(headers, rows), "", WIRE_RATIOS_NOTE, ""]


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
    headers = ["app", "endpoint", "concurrency", "requests/s", "server CPU µs/request"]
    headers += [f"{key} ms" for key in LATENCY_KEYS]
    headers += ["errors", "unexpected statuses", "timeouts", "windows (+warm-up)"]
    lines = [f"## Over the wire on {backend}", ""]
    lines += markdown_table(headers, [_load_row(r) for r in ordered]) + [""]
    lines += _wire_ratio_table(ordered)
    lines += _crash_lines(ordered)
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
    valid = [r for r in runs if usable(r)]
    if ceiling_rps and valid:
        best = max(r.requests_per_s for r in valid)
        lines += [
            f"Its ceiling: {format_us(ceiling_rps)} requests/s at c16 against a server that "
            f"only answers, {ceiling_rps / best:.1f}× the most any app served here "
            f"({format_us(best)} requests/s): the figures above measure the apps, not the "
            "generator.",
            "",
        ]
    return lines + _chart_lines(load_title(backend), chart_files)


def _crash_lines(runs: Sequence[LoadRun]) -> list[str]:
    """Every server crash in these runs, where it happened and what the server was doing."""
    crashed = [run for run in runs if run.server_crashes]
    if not crashed:
        return []
    lines = [
        f"**A server crashed under load** ({crash_count(runs)} time(s)). The window each crash "
        "broke was dropped and measured again on a restarted server, so every figure above "
        "comes from a window a live server served:",
        "",
    ]
    for run in crashed:
        for crash in run.server_crashes:
            lines.append(
                f"- {run.app}, {run.endpoint} at c{run.concurrency}, round {crash.round}: "
                f"{crash.summary}; measured again on a restarted server."
            )
            if crash.fault:
                lines += ["", "  ```text", *(f"  {line}" for line in crash.fault.splitlines())]
                lines += ["  ```", ""]
    return [*lines, ""]


def crash_count(runs: Sequence[LoadRun]) -> int:
    """How many times a server crashed during these runs' windows."""
    return sum(len(run.server_crashes) for run in runs)


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
    """A part's share of the gap, in whole percent (``—`` for a zero gap); a negative part
    is an offset and says so, never a bare negative percentage."""
    if gap_us == 0:
        return MISSING
    percent = part_us / gap_us * 100
    if part_us < 0 < gap_us or part_us > 0 > gap_us:
        return f"offsets {abs(percent):.0f}% (see below)"
    return f"{percent:.0f}%"


def _breakdown_item(item: Breakdown) -> list[str]:
    """One gap: its parts, their shares, what each offset means, and what no part explains."""
    gap_us = item.gap_us
    heading = f"### {item.backend} · {item.operation}: {item.gap} = {format_us(gap_us)} µs"
    rows = [(p.name, format_us(p.us), share(p.us, gap_us), p.source) for p in item.parts]
    lines = [heading, "", *markdown_table(["part", "µs", "share of gap", "source"], rows), ""]
    offsets = [p for p in item.parts if share(p.us, gap_us).startswith("offsets")]
    if offsets:
        lines += ["Offsets (parts that take time back from the gap):", ""]
        lines += [f"- {p.name}: {p.note or 'measured separately'}." for p in offsets]
        lines += [""]
    return lines + [_explained(item.parts, gap_us, item.unexplained_us), ""]


def _explained(parts: Sequence[BreakdownPart], gap_us: float, unexplained_us: float) -> str:
    """How much of the gap the parts account for, with the sign of the rest said in words."""
    total = sum(p.us for p in parts)
    if gap_us == 0:
        return f"the parts sum to {format_us(total)} µs of a zero gap"
    text = f"the parts sum to {total / gap_us * 100:.0f}% of the gap"
    if math.isclose(unexplained_us, 0, abs_tol=0.005):
        return text + "; nothing is left unexplained"
    if (unexplained_us < 0) == (gap_us > 0):
        return (
            text + f"; they exceed it by {format_us(abs(unexplained_us))} µs, which time outside "
            "every part (builtins, the standard library) takes back: an offset"
        )
    return text + f"; unexplained: {format_us(unexplained_us)} µs"


def _breakdown(report: Report) -> list[str]:
    """The ORM's extra time split into parts, so that the gap is not one opaque number."""
    lines = ["## Where the time goes", ""]
    if not report.breakdown:
        return [*lines, "No breakdown in this run.", ""]
    for item in report.breakdown:
        lines += _breakdown_item(item)
    return lines


def target_counts(targets: Sequence[Target]) -> str:
    """``3 met, 12 missed, 2 not significant, 1 not measured`` (statuses with no target left
    out)."""
    counts = [
        (sum(t.status == status for t in targets), status)
        for status in (MET, MISSED, NOT_SIGNIFICANT, NOT_MEASURED)
    ]
    return ", ".join(f"{n} {status}" for n, status in counts if n) or "none"


def _targets(report: Report) -> list[str]:
    """Goals with what this run measured, judged on intervals."""
    rows = [(t.name, t.goal, t.measured, t.status) for t in report.targets]
    lines = ["## Targets", "", TARGETS_RULE, ""]
    lines += markdown_table(["target", "goal", "measured", "result"], rows) + [""]
    return lines + [f"In all: {target_counts(report.targets)}.", ""]


def _conclusions(report: Report) -> list[str]:
    """Every conclusion drawn from the figures, after the figures they rest on."""
    bullets = [f"- {c}" for c in report.conclusions] or ["No conclusions drawn."]
    return ["## Conclusions in detail", "", *bullets, ""]


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
    titles |= {curves_title(c.backend) for c in report.curves}
    return titles | {load_title(b) for b in backends | {r.backend for r in report.load}}


def render_markdown(report: Report, chart_files: dict[str, str]) -> str:
    """The whole report as Markdown; ``chart_files`` maps chart titles to files beside it."""
    lines = [f"# {TITLE}", "", *_answer(report), *_targets(report), *_gates(report)]
    for backend in ordered_backends(t.backend for t in report.timings):
        for layer in ("data", "asgi"):
            lines += _layer(report, backend, layer, chart_files)
    lines += curve_sections(report, chart_files)
    lines += relationship_sections(report)
    lines += instruction_sections(report, chart_files)
    lines += _load(report, chart_files)
    lines += async_sections(report)
    lines += _breakdown(report) + _conclusions(report)
    lines += _method() + _environment(report)
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
    chart_files |= write_curve_charts(report, output_dir)
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
