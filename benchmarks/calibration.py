"""Do the over-the-wire intervals hold? Two runs' reports, checked against each other.

``python -m benchmarks.calibration A/report.json B/report.json``

An interval that does not contain the next run's figure overstates what is known. For every
over-the-wire ratio present and valid in both runs (requests/s ratios and CPU-per-request
ratios, e.g. orm/core on get_one at c16), this checks whether each run's interval contains
the other run's estimate, and whether the two estimates agree within ±5%. The intervals are
meant to hold at least 90% of the time (``benchmarks.stats.round_ratio_interval``); the
command exits 1 when a kind of ratio falls below that, so it can gate a change to the
method.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import Interval, LoadRun, Ratio, Report

REQUIRED_CONTAINMENT = 0.90
AGREEMENT = 0.05
KINDS: dict[str, Callable[[LoadRun], list[Ratio]]] = {
    "requests/s": lambda run: run.ratios,
    "CPU per request": lambda run: run.cpu_ratios,
}
"""Each kind of over-the-wire ratio and where a cell keeps it, in the order summarized."""


@dataclass(frozen=True)
class Estimate:
    """One ratio of one run: its estimate and interval."""

    value: float
    low: float
    high: float

    @classmethod
    def of(cls, interval: Interval) -> Estimate:
        return cls(interval.median, interval.low, interval.high)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Pair:
    """The same ratio in both runs."""

    kind: str  # "requests/s" or "CPU per request"
    key: str
    a: Estimate
    b: Estimate

    @property
    def contained(self) -> bool:
        """Each run's interval contains the other run's estimate."""
        return self.a.contains(self.b.value) and self.b.contains(self.a.value)

    @property
    def agrees(self) -> bool:
        """The two estimates are within ±5% of each other."""
        return abs(self.b.value / self.a.value - 1.0) <= AGREEMENT


def _ratios(report: Report) -> dict[tuple[str, str], Estimate]:
    """(kind, key) → estimate for every ratio of every valid load cell of ``report``."""
    found: dict[tuple[str, str], Estimate] = {}
    for run in report.load:
        if run.invalid:
            continue  # an invalid cell carries no ratio, and is no figure to compare
        cell = "/".join(
            [run.backend, run.endpoint, f"c{run.concurrency}"]
            + ([f"×{run.workers}"] if run.workers != 1 else [])
        )
        for kind, ratios_of in KINDS.items():
            for ratio in ratios_of(run):
                key = f"{ratio.numerator}/{ratio.denominator} {cell}"
                found[(kind, key)] = Estimate.of(ratio.interval)
    return found


def pairs(a: Report, b: Report) -> list[Pair]:
    """Every over-the-wire ratio in both reports, in the first report's order."""
    ours, theirs = _ratios(a), _ratios(b)
    return [
        Pair(kind, key, estimate, theirs[(kind, key)])
        for (kind, key), estimate in ours.items()
        if (kind, key) in theirs
    ]


@dataclass(frozen=True)
class Summary:
    """Calibration of one kind of ratio: how many, how many contained, how many agree."""

    kind: str
    total: int
    contained: int
    agree: int

    @property
    def containment(self) -> float:
        return self.contained / self.total if self.total else 0.0

    @property
    def agreement(self) -> float:
        return self.agree / self.total if self.total else 0.0

    @property
    def holds(self) -> bool:
        return self.total > 0 and self.containment >= REQUIRED_CONTAINMENT


def summarize(found: Sequence[Pair]) -> list[Summary]:
    """One summary per kind present."""
    summaries = []
    for kind in KINDS:
        mine = [p for p in found if p.kind == kind]
        if mine:
            summaries.append(
                Summary(
                    kind,
                    len(mine),
                    sum(p.contained for p in mine),
                    sum(p.agrees for p in mine),
                )
            )
    return summaries


def _interval(e: Estimate) -> str:
    return f"{e.value:.2f} [{e.low:.2f}–{e.high:.2f}]"


def format_calibration(found: Sequence[Pair]) -> str:
    """Each ratio in both runs, then the shares per kind, as plain text."""
    lines = []
    for p in found:
        marks = ("contained" if p.contained else "NOT contained") + (
            ", within ±5%" if p.agrees else ""
        )
        row = f"{p.kind:<15}  {p.key:<36}  {_interval(p.a):>18}  {_interval(p.b):>18}"
        lines.append(f"{row}  {marks}")
    lines.append("")
    for s in summarize(found):
        lines.append(
            f"{s.kind}: {s.contained}/{s.total} ({s.containment:.0%}) contained in both "
            f"directions (needed ≥ {REQUIRED_CONTAINMENT:.0%}: "
            f"{'holds' if s.holds else 'does not hold'}); {s.agree}/{s.total} "
            f"({s.agreement:.0%}) agree within ±{AGREEMENT:.0%}."
        )
    if not found:
        lines.append("No over-the-wire ratio is in both reports.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the check; exit 1 when a kind of ratio is contained less than 90% of the time."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.calibration",
        description="Check two runs' over-the-wire intervals against each other's estimates.",
    )
    parser.add_argument("first", type=Path, help="report.json of one run")
    parser.add_argument("second", type=Path, help="report.json of another run")
    args = parser.parse_args(argv)
    a, b = (Report.from_json(json.loads(path.read_text())) for path in (args.first, args.second))
    found = pairs(a, b)
    print(format_calibration(found))
    return exit_code(summarize(found))


def exit_code(summaries: Sequence[Summary]) -> int:
    """0 when every kind of ratio holds; 1 otherwise, or when there was nothing to check."""
    return 0 if summaries and all(s.holds for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
