"""The report's instruction-count sections and the conclusions drawn from them.

Counts are exact, so they are shown without intervals; the closing lines set them beside the
time ratios of the same run and name where the two disagree, because a disagreement says
something instructions cannot see (waiting on memory, the kernel, another process).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.charts import ordered_backends, ordered_operations, rung_key
from benchmarks.instruction_charts import instructions_title
from benchmarks.ladder import baseline, bench_variants, compared_pairs
from benchmarks.results import InstructionCount, Ratio, Report, Timing, TimingIndex

HEADLINE_OPERATIONS = ("get_one", "list_20", "list_1000", "create", "update")
LAYER_NAMES = {"data": "data layer", "asgi": "whole request in process (ASGI)"}


def headline_ratios() -> list[tuple[str, str]]:
    """(layer, ratio name) the conclusions set beside the time ratios: each variant against
    its baseline variant at both layers, and each variant without one against the driver."""
    pairs = [("data", f"{upper}/{lower}") for upper, lower in compared_pairs()]
    pairs += [
        ("data", f"{v.name}/{baseline(v, 'data')}") for v in bench_variants() if not v.baseline
    ]
    return pairs + [("asgi", f"{upper}/{lower}") for upper, lower in compared_pairs()]


MISSING = "—"
METHOD = (
    "Counted by {tools}: the instructions of a run of *n* operations minus those of a run of "
    "0 operations on the same rung, each after a warm-up in the same process, divided by *n* "
    "(start-up, imports and seeding fall outside both runs). Python runs with a fixed hash "
    "seed. The counts do not wander with the machine's load: running the same code again "
    "gives the same figures to within about 1% (1.2% at most, seen), so they carry no "
    "interval. "
    "They leave out what instructions cannot show: time spent waiting on memory, in the "
    "kernel (file writes, fsync, sockets) and in other processes."
)
SERVER_NOTE = (
    "On {backend} the database server's own work (parsing, planning, reading rows) runs in "
    "the server's process and is **not counted**: these are the client side's instructions "
    "(the app, SQLAlchemy, the driver)."
)
SERVER_BACKENDS = ("postgresql", "mariadb")
WHY_THEY_DISAGREE = (
    "Where an instruction ratio falls outside its time interval, the time holds something "
    "instructions do not count: waiting on memory (the ORM's extra work builds and tracks "
    "objects, which touches more memory per instruction, so its time ratio can exceed its "
    "instruction ratio), the kernel's work (file writes and fsync on SQLite writes, sockets), "
    "another process's (the database server) — or noise from a busy machine, which widens "
    "the time intervals but never moves the counts."
)


def format_instructions(value: float) -> str:
    """Three significant figures with a k/M suffix: ``69.8k``, ``904k``, ``30.2M``."""
    for divisor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:.3g}{suffix}"
    return f"{value:.3g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _counts_table(counts: Sequence[InstructionCount]) -> list[str]:
    rungs = sorted({c.rung for c in counts}, key=rung_key)
    operations = ordered_operations(c.operation for c in counts)
    by_key = {(c.operation, c.rung): c for c in counts}
    rows = []
    for operation in operations:
        cells = [by_key.get((operation, rung)) for rung in rungs]
        shown = [format_instructions(c.instructions_per_operation) if c else MISSING for c in cells]
        rows.append([operation, *shown])
    return _table(["instructions per operation", *rungs], rows)


def _ratio_table(counts: Sequence[InstructionCount]) -> list[str]:
    names = ordered_operations(name for c in counts for name in c.ratios)
    if not names:
        return []
    operations = ordered_operations(c.operation for c in counts)
    by_key = {(c.operation, name): value for c in counts for name, value in c.ratios.items()}
    rows = [
        [op, *(f"{by_key[(op, n)]:.2f}×" if (op, n) in by_key else MISSING for n in names)]
        for op in operations
    ]
    return ["Instruction ratios:", "", *_table(["ratio", *names], rows), ""]


def gap_by_family(
    counts: Sequence[InstructionCount], upper: str, lower: str
) -> dict[str, dict[str, float]]:
    """Per operation: ``upper`` minus ``lower``, instructions per operation by family."""
    by_key = {(c.rung, c.operation): c for c in counts}
    gaps: dict[str, dict[str, float]] = {}
    for operation in ordered_operations(c.operation for c in counts):
        top, bottom = by_key.get((upper, operation)), by_key.get((lower, operation))
        if top is None or bottom is None:
            continue
        families = sorted(set(top.by_family) | set(bottom.by_family))
        gaps[operation] = {
            family: top.by_family.get(family, 0.0) - bottom.by_family.get(family, 0.0)
            for family in families
        }
    return gaps


def _gap_tables(counts: Sequence[InstructionCount]) -> list[str]:
    lines: list[str] = []
    for upper, lower in compared_pairs():
        lines += _gap_table(counts, upper, lower)
    return lines


def _gap_table(counts: Sequence[InstructionCount], upper: str, lower: str) -> list[str]:
    gaps = gap_by_family(counts, upper, lower)
    operations = [op for op in HEADLINE_OPERATIONS if op in gaps] or list(gaps)[:5]
    if not operations:
        return []
    families = sorted(
        {family for op in operations for family in gaps[op]},
        key=lambda family: -sum(abs(gaps[op].get(family, 0.0)) for op in operations),
    )
    totals = {op: sum(gaps[op].values()) for op in operations}
    rows = []
    for family in families:
        cells = []
        for op in operations:
            value = gaps[op].get(family, 0.0)
            share = f" ({value / totals[op] * 100:.0f}%)" if totals[op] else ""
            cells.append(f"{format_instructions(value)}{share}")
        rows.append([family, *cells])
    rows.append(["**the whole gap**", *(format_instructions(totals[op]) for op in operations)])
    heading = (
        f"Where the {upper} rung's extra instructions over {lower} run, per operation, by the "
        "object file they execute in (callgrind's own split, no profiler overhead). All "
        "pure-Python code — SQLAlchemy's compilation and ORM loading, FastAPI, Starlette, "
        "pydantic's Python side, the apps — runs in the interpreter, so callgrind charges it "
        "there; the Python-level split of that part is the cProfile breakdown under *Where "
        "the time goes*."
    )
    return [heading, "", *_table([f"{upper} − {lower}", *operations], rows), ""]


def instruction_sections(report: Report, chart_files: Mapping[str, str]) -> list[str]:
    """Every backend's instruction tables, ratios, gap split and chart."""
    if not report.instructions:
        return []
    lines: list[str] = []
    for backend in ordered_backends(c.backend for c in report.instructions):
        counts = [c for c in report.instructions if c.backend == backend]
        tools = ", ".join(sorted({c.tool for c in counts}))
        lines += [f"## Instructions per operation on {backend}", "", METHOD.format(tools=tools)]
        lines += [""]
        if backend in SERVER_BACKENDS:
            lines += [SERVER_NOTE.format(backend=backend), ""]
        for layer in LAYER_NAMES:
            in_layer = [c for c in counts if c.layer == layer]
            if not in_layer:
                continue
            n = ", ".join(sorted({str(c.operations) for c in in_layer}, key=int))
            lines += [f"### {LAYER_NAMES[layer]} (n = {n})", "", *_counts_table(in_layer), ""]
            lines += _ratio_table(in_layer) + _gap_tables(in_layer)
        title = instructions_title(backend)
        if title in chart_files:
            lines += [f"![{title}]({chart_files[title]})", ""]
    return lines


def _time_ratio(timings: TimingIndex, count: InstructionCount, name: str) -> Ratio | None:
    """The time ratio ``name`` (``orm/core``) of the operation ``count`` counted, if timed."""
    numerator, denominator = name.split("/", 1)
    timing = timings.get(count.layer, count.backend, numerator, count.operation)
    if timing is None:
        return None
    return next((r for r in timing.ratios if r.denominator == denominator), None)


def instruction_conclusions(
    timings: Sequence[Timing], counts: Sequence[InstructionCount]
) -> list[str]:
    """Headline instruction ratios beside the time ratios, and where they disagree."""
    lines: list[str] = []
    any_disagreement = False
    index = TimingIndex(timings)
    for backend in ordered_backends(c.backend for c in counts):
        for layer, name in headline_ratios():
            pairs, disagree = [], []
            for count in counts:
                if (count.backend, count.layer) != (backend, layer) or name not in count.ratios:
                    continue
                if count.operation not in HEADLINE_OPERATIONS:
                    continue
                value = count.ratios[name]
                ratio = _time_ratio(index, count, name)
                if ratio is None:
                    pairs.append(f"{count.operation} {value:.2f}×")
                    continue
                interval = ratio.interval
                pairs.append(
                    f"{count.operation} {value:.2f}× (time {interval.median:.2f}× "
                    f"[{interval.low:.2f}–{interval.high:.2f}])"
                )
                if not interval.low <= value <= interval.high:
                    side = "above" if value > interval.high else "below"
                    disagree.append(f"{count.operation} ({side})")
            if not pairs:
                continue
            line = f"{backend}, {LAYER_NAMES[layer]}, {name} in instructions: {'; '.join(pairs)}."
            if disagree:
                line += f" Outside the time interval: {', '.join(disagree)}."
                any_disagreement = True
            else:
                line += " Every instruction ratio lies inside its time interval."
            lines.append(line)
    return lines + ([WHY_THEY_DISAGREE] if any_disagreement else [])
