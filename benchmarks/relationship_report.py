"""The report's section on relationships: how a page of todos gets its tags, and what N+1 costs.

Written from the loading-strategy rungs (``benchmarks.rungs.loading``) at the data layer, on
each backend: every strategy's time with its interval and the statements it sends per page
(a rung that sends more statements than the page has todos, one per todo, is flagged ⚠),
then the answers — what N+1 costs against the app's strategy and against Core at 20 and 1,000
rows, which ORM strategy wins, and how far the best one is from hand-written SQL. Ratios are
paired per repeat (every rung of an operation is measured in the same repeats) and
bootstrapped like the ladder's. Then the headline, a page of 20 todos with their tags, as a
whole request in process and over the wire; an over-the-wire cell that is not ``usable``
(a response with an unexpected status in a measured window) is shown as **invalid** and no
ratio is taken from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.charts import ordered_backends
from benchmarks.formatting import (
    MISSING,
    format_count,
    format_interval_us,
    format_ratio,
    format_ratio_interval,
    format_wire_ratio,
    markdown_table,
)
from benchmarks.ladder import RAW, family_variant, reference
from benchmarks.results import LoadRun, Ratio, Report, Timing, TimingIndex
from benchmarks.rungs.loading import LOADING_OPERATIONS, PER_TODO, STRATEGIES, TWO_STATEMENTS
from benchmarks.stats import make_ratio
from benchmarks.validity import usable

HEADING = "## Relationships: loading each todo's tags"
FLAG = "⚠"
HEADLINE = "list_20"
SIZES = ("list_20", "list_1000")
"""The operations the answers are given for: a page of 20 and one of 1,000."""
APP_STRATEGY = "selectinload"
"""What the ORM variant as shipped uses (``orm_app.repository.load_tags``; a test checks)."""


@dataclass(frozen=True)
class Names:
    """The rungs of the section, from the variant registry."""

    orm: str
    core: str

    @classmethod
    def of_registry(cls) -> Names | None:
        orm = family_variant("orm")
        return None if orm is None else cls(orm.name, reference().name)

    @property
    def orm_strategies(self) -> tuple[str, ...]:
        """The ORM as shipped, then each strategy rung."""
        return (self.orm, *(f"{self.orm}+{name}" for name in STRATEGIES))

    @property
    def lazy(self) -> str:
        return f"{self.orm}+{PER_TODO}"

    @property
    def rungs(self) -> tuple[str, ...]:
        """Every rung of the section's table, hand-written SQL first."""
        return (RAW, self.core, f"{self.core}+{TWO_STATEMENTS}", *self.orm_strategies)

    def label(self, rung: str) -> str:
        """How the table names a rung: its strategy in words."""
        words = {
            RAW: "raw driver (one statement, tags aggregated)",
            self.core: f"{self.core} (one statement, tags aggregated)",
            f"{self.core}+{TWO_STATEMENTS}": f"{self.core}, two statements (page, then tags)",
            self.orm: f"{self.orm} as shipped ({APP_STRATEGY})",
        }
        return words.get(rung, rung)


def label(rung: str) -> str:
    """A strategy rung in the sentences: the shipped ORM by its strategy, a knob by name."""
    names = Names.of_registry()
    if names is not None and rung == names.orm:
        return f"{rung} as shipped ({APP_STRATEGY})"
    return rung


def per_todo(timing: Timing) -> bool:
    """True when the rung sends more statements than the page holds todos: one per todo."""
    page = LOADING_OPERATIONS.get(timing.operation)
    count = timing.queries_per_operation
    return page is not None and count is not None and count > page.limit


def statements(timing: Timing, *, flag: bool = True) -> str:
    """``21 statements ⚠ one per todo (N+1)`` (``flag``: in a table) or ``2 statements``."""
    count = timing.queries_per_operation
    if count is None:
        return "statements not counted"
    noun = "statement" if count == 1 else "statements"
    text = f"{format_count(count)} {noun}"
    return f"{text} {FLAG} one per todo (N+1)" if flag and per_todo(timing) else text


def paired_ratio(upper: Timing, lower: Timing) -> Ratio | None:
    """``upper/lower`` from their per-repeat samples (both measured in the same repeats), or
    None when they do not pair."""
    if len(upper.samples) != len(lower.samples) or not upper.samples:
        return None
    if any(sample <= 0 for sample in lower.samples):
        return None
    return make_ratio(upper.rung, lower.rung, upper.samples, lower.samples)


def fastest(timings: Sequence[Timing]) -> tuple[Timing, list[tuple[Timing, Ratio]]] | None:
    """The timing with the lowest median, and its ratio against each other one."""
    if not timings:
        return None
    best = min(timings, key=lambda t: t.interval.median)
    against = []
    for other in timings:
        if other is not best and (ratio := paired_ratio(best, other)) is not None:
            against.append((other, ratio))
    return best, against


def winner_sentence(backend: str, operation: str, found: Sequence[Timing]) -> str | None:
    """Which ORM strategy has the lowest median time on ``operation``, its paired ratio
    against the next lowest, and whether the run can tell them apart."""
    result = fastest(found)
    if result is None or len(found) < 2:
        return None
    best, against = result
    tied = [other.rung for other, ratio in against if not ratio.significant]
    ranked = sorted(against, key=lambda item: item[0].interval.median)
    text = (
        f"On {backend}, {operation}: the lowest median time among the ORM strategies is "
        f"**{label(best.rung)}**'s"
    )
    if ranked:
        other, ratio = ranked[0]
        text += f" ({format_ratio(ratio)} the time of the next, {label(other.rung)})"
    if tied:
        text += f"; it is not significantly faster than {', '.join(tied)}: no ranking there"
    return text + "."


@dataclass(frozen=True)
class Figures:
    """One backend's data-layer timings of the section."""

    backend: str
    names: Names
    index: TimingIndex

    def get(self, rung: str, operation: str) -> Timing | None:
        return self.index.get("data", self.backend, rung, operation)

    def orm_timings(self, operation: str) -> list[Timing]:
        found = [self.get(rung, operation) for rung in self.names.orm_strategies]
        return [t for t in found if t is not None]

    def best_orm(self, operation: str) -> Timing | None:
        """The ORM strategy with the lowest median on ``operation`` (lazy included: if it
        won, that would be the finding)."""
        result = fastest(self.orm_timings(operation))
        return None if result is None else result[0]


def n_plus_one_sentence(figures: Figures, operation: str) -> str | None:
    """What lazyload costs on ``operation`` against the app's strategy and against Core."""
    names = figures.names
    lazy, app, core = (figures.get(rung, operation) for rung in (names.lazy, names.orm, names.core))
    if lazy is None or app is None:
        return None
    against_app = paired_ratio(lazy, app)
    if against_app is None:
        return None
    text = (
        f"On {figures.backend}, {operation}: lazyload (N+1) sends {statements(lazy, flag=False)} "
        f"against {statements(app)} for {APP_STRATEGY}, and takes {format_ratio(against_app)} "
        "its time"
    )
    against_core = None if core is None else paired_ratio(lazy, core)
    if against_core is not None and core is not None:
        text += f" and {format_ratio(against_core)} the time of {names.core} ({statements(core)})"
    return text + "."


def best_against_core_sentence(figures: Figures, operation: str) -> str | None:
    """How far the best ORM strategy is from hand-written SQL on ``operation``."""
    best = figures.best_orm(operation)
    core = figures.get(figures.names.core, operation)
    if best is None or core is None or (ratio := paired_ratio(best, core)) is None:
        return None
    core_name = figures.names.core
    return (
        f"On {figures.backend}, {operation}: the best ORM strategy, {label(best.rung)} "
        f"({statements(best, flag=False)}), takes {format_ratio(ratio)} the time of "
        f"{core_name}'s one statement."
    )


def _strategy_table(figures: Figures, operations: Sequence[str]) -> list[str]:
    rows = []
    for rung in figures.names.rungs:
        cells = [figures.get(rung, operation) for operation in operations]
        if all(cell is None for cell in cells):
            continue
        rows.append(
            [
                figures.names.label(rung),
                *(
                    MISSING
                    if cell is None
                    else f"{format_interval_us(cell.interval)} µs, {statements(cell)}"
                    for cell in cells
                ),
            ]
        )
    return markdown_table(["data layer", *operations], rows) if rows else []


def _wire_cells(report: Report, backend: str, names: Names) -> list[str]:
    """The headline over the wire: orm/core on a page of 20 per concurrency, or **invalid**."""
    runs = [
        run
        for run in report.load
        if run.backend == backend and run.endpoint == HEADLINE and run.workers == 1
    ]
    lines = []
    for concurrency in sorted({run.concurrency for run in runs}):
        at = {run.app: run for run in runs if run.concurrency == concurrency}
        upper, lower = at.get(names.orm), at.get(names.core)
        if upper is None or lower is None:
            continue
        where = f"- over the wire, {HEADLINE} at c{concurrency}"
        broken = [run for run in (upper, lower) if not usable(run)]
        if broken:
            why = "; ".join(f"{run.app} {_invalid_words(run)}" for run in broken)
            lines.append(f"{where}: **invalid** ({why}): no ratio is taken from it")
            continue
        ratio = next((r for r in upper.ratios if r.denominator == names.core), None)
        if ratio is not None:
            lines.append(
                f"{where}: {names.orm}/{names.core} {format_wire_ratio(ratio)} the requests/s"
            )
    return lines


def _invalid_words(run: LoadRun) -> str:
    return run.unexpected_text() if run.invalid else "no usable window"


def _headline(report: Report, backend: str, names: Names) -> list[str]:
    """A page of 20 todos with their tags, whole requests: in process and over the wire."""
    items = _headline_items(report, backend, names)
    if not items:
        return []
    heading = f"The headline, a page of 20 todos with their tags, as whole requests on {backend}:"
    return [heading, "", *items, ""]


def relationship_sections(report: Report) -> list[str]:
    """The section, per backend with loading-strategy timings; nothing when none ran."""
    names = Names.of_registry()
    if names is None:
        return []
    strategy_rungs = set(names.rungs) - {RAW, names.core, names.orm}
    backends = ordered_backends(
        t.backend for t in report.timings if t.layer == "data" and t.rung in strategy_rungs
    )
    if not backends:
        return []
    lines = [
        HEADING,
        "",
        f"Each todo carries 0–5 tags (of 50, drawn with a fixed seed). The {names.orm} variant "
        f"loads a page's tags with {APP_STRATEGY} (one more SELECT per 500 todos); each "
        "strategy rung sends the same page query with one loader option changed, against "
        f"{names.core}'s one statement with a correlated aggregate. {FLAG} marks a strategy "
        "that sends one statement per todo (N+1). raiseload has no rung: the relationship is "
        f'declared lazy="raise", so every {names.orm} query that does not load the tags '
        "(the count, the tag counts) already runs with it.",
        "",
    ]
    index = TimingIndex(report.timings)
    for backend in backends:
        figures = Figures(backend, names, index)
        operations = [
            operation
            for operation in LOADING_OPERATIONS
            if any(figures.get(rung, operation) for rung in names.rungs)
        ]
        lines += [f"### {backend}", "", *_strategy_table(figures, operations), ""]
        findings = []
        for operation in SIZES:
            findings += [
                sentence
                for sentence in (
                    n_plus_one_sentence(figures, operation),
                    winner_sentence(backend, operation, figures.orm_timings(operation)),
                    best_against_core_sentence(figures, operation),
                )
                if sentence is not None
            ]
        lines += [f"- {sentence}" for sentence in findings]
        lines += [""] if findings else []
        lines += _headline(report, backend, names)
    return lines


def _headline_items(report: Report, backend: str, names: Names) -> list[str]:
    lines = []
    index = TimingIndex(report.timings)
    upper = index.get("asgi", backend, names.orm, HEADLINE)
    lower = index.get("asgi", backend, names.core, HEADLINE)
    if upper is not None and lower is not None:
        ratio = next((r for r in upper.ratios if r.denominator == names.core), None)
        if ratio is not None:
            lines.append(
                f"- in process: {names.orm} ({statements(upper)}) takes "
                f"{format_ratio(ratio)} the time of {names.core} ({statements(lower)})"
            )
    return lines + _wire_cells(report, backend, names)


def relationship_sentence(report: Report, backend: str) -> str | None:
    """The answer's sentence on relationships, for ``backend``: what N+1 costs on a page of
    20 (and of 1,000 when measured) against the app's strategy, and how far the best ORM
    strategy is from Core. None when the strategies were not measured."""
    names = Names.of_registry()
    if names is None:
        return None
    figures = Figures(backend, names, TimingIndex(report.timings))
    lazy, app = figures.get(names.lazy, HEADLINE), figures.get(names.orm, HEADLINE)
    if lazy is None or app is None or (against_app := paired_ratio(lazy, app)) is None:
        return None
    text = (
        f"On {backend}, relationships: loading each todo's tags when it is read (lazyload, "
        "the N+1 trap) "
        f"sends {format_count(lazy.queries_per_operation or 0)} statements for a page of 20 "
        f"and takes {format_ratio_interval(against_app.interval)} the time of the app's "
        f"{APP_STRATEGY}"
    )
    lazy_k, app_k = figures.get(names.lazy, "list_1000"), figures.get(names.orm, "list_1000")
    if lazy_k is not None and app_k is not None and (big := paired_ratio(lazy_k, app_k)):
        text += (
            f" ({format_ratio_interval(big.interval)} for 1,000 rows, "
            f"{format_count(lazy_k.queries_per_operation or 0)} statements)"
        )
    best = figures.best_orm(HEADLINE)
    core = figures.get(names.core, HEADLINE)
    if best is not None and core is not None and (ratio := paired_ratio(best, core)):
        significant = "" if ratio.significant else ", not significantly different"
        text += (
            f"; the fastest ORM strategy here, {label(best.rung)}, takes "
            f"{format_ratio_interval(ratio.interval)} the time of {names.core}'s single "
            f"statement{significant}"
        )
    return text + "."
