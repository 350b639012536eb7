"""*The answer*: what the ORM costs a FastAPI developer, in at most ten sentences.

The report and the terminal open (or end) with these sentences, so a reader gets the verdict
before the ladder. Every sentence is written from this run's figures, each with its 95%
interval: a sentence whose figures were not measured in this run (a layer left out, an
operation not in the profile, an over-the-wire cell that is not ``usable``) is left out,
never filled with a number from elsewhere. Differences in µs are medians of *per-repeat*
differences (both sides measured in the same repeat), bootstrapped like the ratios.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.async_report import async_sentence
from benchmarks.charts import ordered_backends
from benchmarks.curves import find_fit, fit_difference, lifecycle
from benchmarks.formatting import (
    UNPINNED,
    format_count,
    format_interval_us,
    format_percent_interval,
    format_ratio_interval,
    pinned_down,
)
from benchmarks.ladder import FLOOR, RAW, compared_pairs, knob_of, reference
from benchmarks.relationship_report import relationship_sentence
from benchmarks.results import CostFit, Interval, LoadRun, Ratio, Report, Timing, TimingIndex
from benchmarks.rungs.kept_open import kept_rung_name
from benchmarks.rungs.loading import STRATEGIES
from benchmarks.stats import bootstrap_median_interval
from benchmarks.validity import usable_runs
from benchmarks.workloads import SEED_ROWS

MAX_SENTENCES = 10
KNOB_WORDS = {
    "expire_on_commit": "expire_on_commit=True (the Session's default)",
    "columns": "selecting columns instead of Todo objects",
    "identity_map": "answering from the identity map",
    "bulk_insert": "insert(Todo) with a list of dicts instead of add_all",
    "yield_per": "yield_per=100",
}
"""How the answer names each ORM knob rung (``orm+<knob>``); an unknown knob keeps its name."""


@dataclass(frozen=True)
class Figures:
    """This run's timings on one backend, found by (layer, rung, operation)."""

    backend: str
    timings: TimingIndex  # this backend's only
    load: list[LoadRun]
    curves: list[CostFit]

    @classmethod
    def of(cls, report: Report, backend: str) -> Figures:
        timings = TimingIndex(t for t in report.timings if t.backend == backend)
        load = [run for run in usable_runs(report.load) if run.backend == backend]
        return cls(backend, timings, load, [c for c in report.curves if c.backend == backend])

    def timing(self, layer: str, rung: str, operation: str) -> Timing | None:
        return self.timings.get(layer, self.backend, rung, operation)

    def fit(self, layer: str, rung: str, series: str) -> CostFit | None:
        """The rung's fitted cost line, or None when it was not fitted."""
        return find_fit(self.curves, self.backend, layer, rung, series)

    def ratio(self, layer: str, rung: str, operation: str, denominator: str) -> Ratio | None:
        timing = self.timing(layer, rung, operation)
        if timing is None:
            return None
        return next((r for r in timing.ratios if r.denominator == denominator), None)


def paired(values: Sequence[Sequence[float]], combine: Callable[..., float]) -> Interval | None:
    """The bootstrapped median of ``combine(*repeat)`` over repeats measured together.

    None when the series do not pair (different numbers of repeats): then the figure is not
    stated rather than computed from unpaired medians.
    """
    if not values or len({len(series) for series in values}) != 1 or not values[0]:
        return None
    per_repeat = [float(combine(*repeat)) for repeat in zip(*values, strict=True)]
    return bootstrap_median_interval(per_repeat)


def difference(upper: Timing, lower: Timing) -> Interval | None:
    """``upper − lower`` in µs, per repeat (both measured interleaved in the same repeat)."""
    return paired([upper.samples, lower.samples], lambda a, b: a - b)


def _excludes_zero(interval: Interval) -> bool:
    return interval.low > 0 or interval.high < 0


def per_request(figures: Figures, upper: str, lower: str) -> tuple[str, Interval] | None:
    """The whole request in process: (operation, upper − lower in µs) on the first of get_one
    and list_20 that was measured."""
    for operation in ("get_one", "list_20"):
        a, b = figures.timing("asgi", upper, operation), figures.timing("asgi", lower, operation)
        if a and b and (gap := difference(a, b)) is not None:
            return operation, gap
    return None


def sentence_in_process(figures: Figures, upper: str, lower: str) -> str | None:
    found = per_request(figures, upper, lower)
    if found is None:
        return None
    operation, gap = found
    ratio = figures.ratio("asgi", upper, operation, lower)
    if ratio is None:
        return None
    where = f"On {figures.backend}, in process (the whole FastAPI app called directly)"
    if not ratio.significant:
        return (
            f"{where}, a {operation} request through the {upper} app is not significantly "
            f"slower than through the {lower} app: {format_ratio_interval(ratio.interval)} "
            f"its time, {format_interval_us(gap)} µs more."
        )
    return (
        f"{where}, a {operation} request through the {upper} app costs "
        f"{format_interval_us(gap)} µs more than through the {lower} app, "
        f"{format_ratio_interval(ratio.interval)} its time."
    )


def _first_wire(figures: Figures, app: str, operation: str) -> LoadRun | None:
    runs = [r for r in figures.load if r.app == app and r.endpoint == operation]
    return min(runs, key=lambda r: r.concurrency, default=None)


def sentence_over_http(figures: Figures, upper: str, lower: str) -> str | None:
    for operation in ("get_one", "list_20"):
        run = _first_wire(figures, upper, operation)
        ratio = (
            None if run is None else next((r for r in run.ratios if r.denominator == lower), None)
        )
        if run is None or ratio is None:
            continue
        where = f"Over HTTP (uvicorn, {run.concurrency} connection"
        where += "s)" if run.concurrency != 1 else ")"
        cpu = next((r for r in run.cpu_ratios if r.denominator == lower), None)
        cpu_text = "" if cpu is None else f" and {_cpu_words(cpu, lower)}"
        unpinned = "" if pinned_down(ratio) else f" (a figure that {UNPINNED})"
        if not ratio.significant:
            return (
                f"{where}, the difference on {operation} is not significant: the {upper} app "
                f"serves {format_ratio_interval(ratio.interval)} the {lower} app's requests "
                f"per second{unpinned}{cpu_text}."
            )
        return (
            f"{where}, the {upper} app serves {format_ratio_interval(ratio.interval)} the "
            f"{lower} app's requests per second on {operation}{unpinned}{cpu_text}."
        )
    return None


def _cpu_words(cpu: Ratio, lower: str) -> str:
    """What the server's CPU per request says, in words: the steadier figure over HTTP."""
    text = (
        f"its server spends {format_ratio_interval(cpu.interval)} the {lower} server's CPU "
        "time per request"
    )
    if not cpu.significant:
        text += ", not significantly different"
    return text if pinned_down(cpu) else f"{text} (this machine cannot pin that down)"


def per_row(figures: Figures, rung: str) -> Interval | None:
    """µs per row listed at the data layer: the slope of the rung's fitted cost line."""
    fit = figures.fit("data", rung, "list")
    return None if fit is None else fit.per_row_us


def _us(interval: Interval) -> str:
    """``12.3 [11.0–13.1]``, with ``(n.s.)`` when the interval contains no difference."""
    text = format_interval_us(interval)
    return text if _excludes_zero(interval) else text + " (n.s.)"


def _sizes(fit: CostFit) -> str:
    return f"{format_count(min(fit.sizes))}–{format_count(max(fit.sizes))}"


def sentence_per_row(figures: Figures, upper: str, lower: str) -> str | None:
    """Fixed and per-row costs from the fitted lines: what the upper rung adds per call and
    per row listed, at the data layer and (when measured) per whole request."""
    a, b = figures.fit("data", upper, "list"), figures.fit("data", lower, "list")
    found = None if a is None or b is None else fit_difference(a, b)
    if a is None or b is None or found is None or b.fixed_us is None or b.per_row_us is None:
        return None
    fixed, rows = found
    text = (
        f"Fitting time = fixed + per-row × rows over lists of {_sizes(a)} rows, the {upper} "
        f"adds {_us(fixed)} µs per call and {_us(rows)} µs per row at the data layer, over "
        f"{lower}'s {format_interval_us(b.fixed_us)} µs per call and "
        f"{format_interval_us(b.per_row_us)} µs per row"
    )
    raw = figures.fit("data", RAW, "list")
    if raw is not None and raw.fixed_us is not None and raw.per_row_us is not None:
        text += (
            f" (the raw driver: {format_interval_us(raw.fixed_us)} and "
            f"{format_interval_us(raw.per_row_us)})"
        )
    c, d = figures.fit("asgi", upper, "list"), figures.fit("asgi", lower, "list")
    whole = None if c is None or d is None else fit_difference(c, d)
    if whole is not None:
        text += (
            f"; per whole request in process, {_us(whole[0])} µs per request and "
            f"{_us(whole[1])} µs per row"
        )
    return text + "."


def sentence_lifecycle(figures: Figures, upper: str, lower: str) -> str | None:
    """What the unit of work costs per call (own rung − kept-open rung), on a get_one."""
    costs, statements = [], []
    for rung, unit in ((lower, "Connection"), (upper, "Session")):
        own = figures.timing("data", rung, "get_one")
        kept = figures.timing("data", kept_rung_name(rung), "get_one")
        cost = None if own is None or kept is None else lifecycle(own, kept)
        if own is None or kept is None or cost is None:
            continue
        costs.append(f"{rung}'s {unit} {_us(cost)} µs of its {format_interval_us(own.interval)}")
        statements.append(f"{format_interval_us(kept.interval)} µs ({rung})")
    if not costs:
        return None
    return (
        "Of a get_one at the data layer, opening and closing the unit of work (checkout, "
        f"begin, commit or rollback, close) costs {' and '.join(costs)}; the statement alone, "
        "on a Connection or Session kept open as SQLAlchemy's short_selects example does, "
        f"costs {' and '.join(statements)}."
    )


def sentence_writes(figures: Figures, upper: str, lower: str) -> str | None:
    parts = []
    for operation, words in (("create", "to create a todo"), ("update", "to update one")):
        ratio = figures.ratio("data", upper, operation, lower)
        if ratio is not None:
            parts.append(f"{format_ratio_interval(ratio.interval)} {words}")
    seed = figures.ratio("data", upper, "seed_1000", lower)
    a, b = figures.fit("data", upper, "insert"), figures.fit("data", lower, "insert")
    bulk = None if a is None or b is None else fit_difference(a, b)
    if not parts and seed is None and bulk is None:
        return None
    text = f"On writes, the {upper}'s data layer takes "
    if parts:
        text += f"{' and '.join(parts)} against {lower}'s time"
        if seed is not None or bulk is not None:
            text += ", and "
    if bulk is not None and a is not None:
        text += (
            f"inserting {_sizes(a)} rows in one transaction it adds {_us(bulk[0])} µs per "
            f"call and {_us(bulk[1])} µs per row (add_all against one executemany)"
        )
    elif seed is not None:
        text += (
            f"{format_ratio_interval(seed.interval)} {lower}'s time to insert "
            f"{format_count(SEED_ROWS)} rows in one transaction (add_all against one "
            "executemany)"
        )
    return text + "."


def _log_distance(ratio: Ratio) -> float:
    return abs(math.log(ratio.interval.median)) if ratio.interval.median > 0 else 0.0


def knob_effects(figures: Figures, orm: str) -> tuple[list[str], list[str]]:
    """(the knobs that change the time, in words with their ratio; the knobs that do not)."""
    knobs = sorted({t.rung for t in figures.timings if t.layer == "data" and knob_of(t.rung)})
    significant, insignificant = [], []
    for knob in knobs:
        if knob_of(knob) != orm or knob == kept_rung_name(orm):
            continue  # keeping the Session open is the lifecycle sentence's, not a knob
        if knob.partition("+")[2] in STRATEGIES:
            continue  # the loading strategies are the relationships sentence's
        ratios = [
            (ratio, timing.operation)
            for timing in figures.timings
            if timing.layer == "data" and timing.rung == knob
            for ratio in timing.ratios
            if ratio.denominator == orm
        ]
        name = KNOB_WORDS.get(knob.partition("+")[2], knob)
        shown = [(r, op) for r, op in ratios if r.significant]
        if not shown:
            if ratios:
                insignificant.append(name)
            continue
        shown.sort(key=lambda item: -_log_distance(item[0]))
        top, top_op = shown[0]
        text = f"{name} takes {format_ratio_interval(top.interval)} the time on {top_op}"
        other_side = [
            (r, op) for r, op in shown[1:] if (r.interval.median > 1) != (top.interval.median > 1)
        ]
        if other_side:
            r, op = other_side[0]
            text += f" but {format_ratio_interval(r.interval)} on {op}"
        significant.append((_log_distance(top), text))
    ordered = [text for _, text in sorted(significant, key=lambda item: -item[0])]
    return ordered, insignificant


def sentence_knobs(figures: Figures, orm: str) -> str | None:
    changes, none = knob_effects(figures, orm)
    if not changes and not none:
        return None
    text = f"Of the ORM knobs (each a rung measured against the {orm} as shipped), "
    if changes:
        text += "; ".join(changes)
        if none:
            text += "; "
    if none:
        verb = "makes" if len(none) == 1 else "make"
        text += f"{' and '.join(none)} {verb} no significant difference"
    return text + "."


def sentence_floor(figures: Figures, app: str) -> str | None:
    for operation in ("get_one", "list_20"):
        floor = figures.timing("asgi", FLOOR, operation)
        ratio = figures.ratio("asgi", app, operation, FLOOR)
        if floor is None or ratio is None:
            continue
        interval = ratio.interval
        share = Interval(1 / interval.median, 1 / interval.high, 1 / interval.low)
        return (
            f"The framework itself (the floor: the same FastAPI routes and models with no "
            f"database) takes {format_interval_us(floor.interval)} µs per {operation} "
            f"request in process, {format_percent_interval(share)} of the {app} app's request."
        )
    return None


def sentence_recommendation(figures: Figures, upper: str, lower: str) -> str | None:
    found = per_request(figures, upper, lower)
    if found is None:
        return None
    operation, gap = found
    ratio = figures.ratio("asgi", upper, operation, lower)
    if ratio is None:
        return None
    interval = ratio.interval
    if not ratio.significant and interval.high <= 1.25:
        text = (
            f"Recommendation: use the {upper}; here it makes no significant difference per request"
        )
    elif not ratio.significant:
        text = (
            f"Recommendation: this run cannot tell the {upper}'s cost per request from noise "
            f"({format_ratio_interval(interval)}), so rerun the default profile on a quiet "
            "machine before choosing by it"
        )
    elif interval.high <= 1.5:
        text = (
            f"Recommendation: keep the {upper} for ordinary endpoints, where it adds "
            f"{format_interval_us(gap)} µs per request"
        )
    else:
        text = (
            f"Recommendation: on endpoints where latency matters use {lower}, since the "
            f"{upper} takes {format_ratio_interval(interval)} the time per request"
        )
    advice = []
    rows = per_row(figures, upper)
    base = per_row(figures, lower)
    if rows is not None and base is not None and rows.median > base.median:
        columns = figures.ratio("data", f"{upper}+columns", "list_1000", upper)
        if columns is not None and columns.significant and columns.interval.high < 1:
            advice.append("select columns rather than objects for long lists")
        else:
            advice.append(f"serve long lists with {lower}")
    bulk = figures.ratio("data", f"{upper}+bulk_insert", "seed_1000", upper)
    if bulk is not None and bulk.significant and bulk.interval.high < 1:
        advice.append("write in bulk with insert(Todo) and a list of dicts, not add_all")
    expiring = figures.ratio("data", f"{upper}+expire_on_commit", "create", upper)
    if expiring is not None and expiring.significant and expiring.interval.low > 1:
        advice.append("open Sessions with expire_on_commit=False")
    if advice:
        text += ", and " + (", ".join(advice[:-1]) + " and " if len(advice) > 1 else "")
        text += advice[-1]
    return text + "."


def the_answer(report: Report) -> list[str]:
    """The verdict's sentences for the report's first backend (at most ``MAX_SENTENCES``)."""
    backends = ordered_backends(t.backend for t in report.timings)
    pairs = compared_pairs()
    if not backends or not pairs:
        return []
    figures = Figures.of(report, backends[0])
    upper, lower = pairs[0]
    sentences = [
        sentence_in_process(figures, upper, lower),
        sentence_over_http(figures, upper, lower),
        sentence_per_row(figures, upper, lower),
        sentence_writes(figures, upper, lower),
        sentence_lifecycle(figures, upper, lower),
        sentence_knobs(figures, upper),
        sentence_floor(figures, reference().name),
        relationship_sentence(report, figures.backend),
        async_sentence(report, figures.backend),
        sentence_recommendation(figures, upper, lower),
    ]
    return [s for s in sentences if s is not None][:MAX_SENTENCES]


TERMS = (
    "Terms: a *layer* is how much of a request is measured — the data layer (the repository "
    "code and SQLAlchemy alone, in process), the whole app in process (the FastAPI app "
    "called directly, no network) or over the wire (uvicorn serving HTTP); a *rung* is one "
    "way of doing the same operation at a layer (the raw driver, Core, the ORM, an ORM "
    "knob); the *floor* is the same FastAPI routes and models with no database, what the "
    "framework alone costs; a *ratio* such as orm/core is the median of per-repeat ratios "
    "of the two rungs' times, both measured in the same repeat (over HTTP: the median "
    "of per-round ratios of requests/s or of the server's CPU time per request); an "
    "*interval* [low–high] is the 95% bootstrap confidence interval of the figure before "
    "it (over HTTP: a 95% interval for what another run would give), and a difference is "
    "*not significant* (n.s.) when its interval contains no difference (1.0 for a ratio, 0 "
    "for µs). The precise figures are the instruction counts and the in-process ratios; "
    "the over-HTTP figures are context, since they move with the machine's load."
)
