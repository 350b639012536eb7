"""The report's *How cost grows with rows* section: fixed and per-row costs, and what a
request pays once.

Per backend: the fit of every rung's size series (``benchmarks.curves``) in one table, the
differences up the ladder (the ORM minus Core, Core minus the raw driver; per repeat, paired),
what the unit of work's lifecycle costs (a variant's own rung against its kept-open rung,
``benchmarks.rungs.kept_open``), and the log-log chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.curve_charts import curves_title
from benchmarks.curves import find_fit, fit_difference, lifecycle
from benchmarks.formatting import MISSING, format_count, format_interval_us, markdown_table
from benchmarks.ladder import FLOOR, RAW, bench_variants, reference
from benchmarks.results import CostFit, Interval, Report, TimingIndex
from benchmarks.rungs.kept_open import kept_rung_name

SERIES_WORDS = {
    "list": "list N rows",
    "insert": "insert N rows in one transaction",
}
LAYER_WORDS = {"data": "data layer", "asgi": "whole request"}
INTRO = (
    "Each rung's time per call on lists of N rows (and, at the data layer, on N rows "
    "inserted in one transaction) is fitted as **time = fixed + per-row × rows**: *fixed* is "
    "what every call pays whatever its size (µs per call), *per row* what each row adds (µs "
    "per row). The line is fitted by least squares weighted by 1/time² (each size counts by "
    "its relative error), once per repeat; the figures are the medians of the per-repeat "
    "fits with 95% bootstrap intervals, and a difference between two rungs is the median of "
    "per-repeat differences. *Worst miss* is the largest distance between a size's median and "
    "the line, relative to that median: a few percent means the line describes the rung; "
    "more means its cost per row changes with the size, and the line is a summary: the "
    "sizes' own times are in the tables above. The "
    "API has no bulk insert endpoint (it creates one todo per request), so inserts are "
    "measured at the data layer only; whole requests are `GET /todos?limit=N`."
)
LIFECYCLE_INTRO = (
    "What a request pays once: each variant's rung opens a Connection or Session per call, "
    "as a request does (checkout from the pool, begin, commit or rollback, close); its "
    "*kept-open* rung makes the same repository calls on one Connection or Session kept open "
    "across a sample's calls, as SQLAlchemy's own `examples/performance/short_selects.py` "
    "does. The difference, per repeat, is the unit of work's lifecycle; the kept-open time is "
    "the statement's own cost."
)


def _interval(value: Interval | None) -> str:
    return MISSING if value is None else format_interval_us(value)


def _fit_row(fit: CostFit) -> list[str]:
    sizes = ", ".join(format_count(size) for size in fit.sizes)
    if fit.fixed_us is None:
        return [
            LAYER_WORDS.get(fit.layer, fit.layer),
            SERIES_WORDS[fit.series],
            fit.rung,
            sizes,
            f"not measured: {fit.not_measured}",
            MISSING,
            MISSING,
        ]
    miss = MISSING if fit.worst_residual is None else f"{fit.worst_residual * 100:.0f}%"
    return [
        LAYER_WORDS.get(fit.layer, fit.layer),
        SERIES_WORDS[fit.series],
        fit.rung,
        sizes,
        _interval(fit.fixed_us),
        _interval(fit.per_row_us),
        miss,
    ]


def ladder_steps(layer: str) -> list[tuple[str, str]]:
    """(upper, lower) rungs whose difference the section states: each variant over its
    baseline variant, the reference variant over the layer's own baseline."""
    steps = [(v.name, v.baseline) for v in bench_variants() if v.baseline is not None]
    return steps + [(reference().name, RAW if layer == "data" else FLOOR)]


def _difference_rows(curves: Sequence[CostFit], backend: str) -> list[list[str]]:
    rows = []
    for layer in ("data", "asgi"):
        for series in SERIES_WORDS:
            for upper, lower in ladder_steps(layer):
                a = find_fit(curves, backend, layer, upper, series)
                b = find_fit(curves, backend, layer, lower, series)
                found = None if a is None or b is None else fit_difference(a, b)
                if found is None:
                    continue
                fixed, per_row = found
                rows.append(
                    [
                        LAYER_WORDS[layer],
                        SERIES_WORDS[series],
                        f"{upper} − {lower}",
                        format_interval_us(fixed),
                        format_interval_us(per_row),
                    ]
                )
    return rows


def _lifecycle_rows(report: Report, backend: str) -> list[list[str]]:
    timings = TimingIndex(report.timings)
    rows = []
    for variant in bench_variants():
        kept_name = kept_rung_name(variant.name)
        own = timings.get("data", backend, variant.name, "get_one")
        kept = timings.get("data", backend, kept_name, "get_one")
        if own is not None and kept is not None:
            rows.append(
                [
                    variant.name,
                    "get_one",
                    format_interval_us(own.interval),
                    format_interval_us(kept.interval),
                    _interval(lifecycle(own, kept)),
                ]
            )
        a = find_fit(report.curves, backend, "data", variant.name, "list")
        b = find_fit(report.curves, backend, "data", kept_name, "list")
        found = None if a is None or b is None else fit_difference(a, b)
        if a is not None and b is not None and found is not None:
            rows.append(
                [
                    variant.name,
                    "fixed cost of a list (fit)",
                    _interval(a.fixed_us),
                    _interval(b.fixed_us),
                    format_interval_us(found[0]),
                ]
            )
    return rows


def curve_sections(report: Report, chart_files: Mapping[str, str]) -> list[str]:
    """The section for every backend with cost curves (nothing when none were fitted)."""
    lines: list[str] = []
    backends = list(dict.fromkeys(c.backend for c in report.curves))
    for backend in backends:
        fits = [c for c in report.curves if c.backend == backend]
        lines += [f"## How cost grows with rows on {backend}", "", INTRO, ""]
        headers = [
            "layer",
            "series",
            "rung",
            "rows",
            "fixed µs per call",
            "µs per row",
            "worst miss",
        ]
        lines += markdown_table(headers, [_fit_row(fit) for fit in fits]) + [""]
        differences = _difference_rows(report.curves, backend)
        if differences:
            lines += ["Up the ladder (per repeat, paired):", ""]
            headers = ["layer", "series", "difference", "µs per call", "µs per row"]
            lines += markdown_table(headers, differences) + [""]
        cycle = _lifecycle_rows(report, backend)
        if cycle:
            lines += [LIFECYCLE_INTRO, ""]
            headers = ["variant", "what", "own unit per call, µs", "kept open, µs", "lifecycle, µs"]
            lines += markdown_table(headers, cycle) + [""]
        title = curves_title(backend)
        if title in chart_files:
            lines += [f"![{title}]({chart_files[title]})", ""]
    return lines
