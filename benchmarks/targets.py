"""The targets the apps should reach, checked against this run's own figures, and the
conclusions the report draws from them — written from the numbers, never by hand."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.ladder import (
    FLOOR,
    FLOOR_DEPENDENCY,
    RAW,
    bench_variants,
    compared_pairs,
    variant_names,
)
from benchmarks.results import LoadRun, Ratio, Target, Timing


def _timing(
    timings: Sequence[Timing], layer: str, backend: str, rung: str, op: str
) -> Timing | None:
    for timing in timings:
        if (timing.layer, timing.backend, timing.rung, timing.operation) == (
            layer,
            backend,
            rung,
            op,
        ):
            return timing
    return None


def _ratio(owner: Timing | LoadRun | None, denominator: str) -> Ratio | None:
    if owner is None:
        return None
    return next((ratio for ratio in owner.ratios if ratio.denominator == denominator), None)


def _load(
    load: Sequence[LoadRun], backend: str, app: str, endpoint: str, level: int
) -> LoadRun | None:
    for run in load:
        key = (run.backend, run.app, run.endpoint, run.concurrency, run.workers)
        if key == (backend, app, endpoint, level, 1):
            return run
    return None


def _invalid(*runs: LoadRun | None) -> str | None:
    """What makes a comparison of ``runs`` impossible: the first invalid cell, in words."""
    for run in runs:
        if run is not None and run.invalid:
            return f"invalid: {run.app} {run.unexpected_text()}"
    return None


def _show(ratio: Ratio) -> str:
    interval = ratio.interval
    return f"{interval.median:.2f} [{interval.low:.2f}–{interval.high:.2f}]"


def check_targets(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[Target]:
    """Every target of the benchmark issue, met, missed (by how much) or not measured.

    Each variant with no baseline of its own (core) must come close to the floor over the
    wire and to the raw driver at the data layer; each variant with one (orm) must stay
    within 1.25× of it; every variant must keep SQLite writes fast.
    """
    own = [v.name for v in bench_variants() if v.baseline is None]
    targets: list[Target] = []
    for name in own:
        for endpoint in ("get_one", "list_20"):
            for level in (1, 16):
                run = _load(load, "sqlite", name, endpoint, level)
                ratio = _ratio(run, FLOOR)
                invalid = _invalid(run, _load(load, "sqlite", FLOOR, endpoint, level))
                targets.append(
                    Target(
                        f"{name} ≥ 85% of the floor: {endpoint}, c{level} (SQLite)",
                        f"{name}/floor requests/s ≥ 0.85",
                        invalid or ("not measured" if ratio is None else f"{_show(ratio)}"),
                        None if ratio is None else ratio.interval.median >= 0.85,
                    )
                )
    for upper, lower in compared_pairs():
        endpoints = sorted(
            {
                run.endpoint
                for run in load
                if run.app == upper and run.concurrency == 16 and run.workers == 1
            }
        )
        for backend in sorted({run.backend for run in load}):
            for endpoint in endpoints:
                run = _load(load, backend, upper, endpoint, 16)
                ratio = _ratio(run, lower)
                invalid = _invalid(run, _load(load, backend, lower, endpoint, 16))
                if ratio is None and invalid is None:
                    continue
                # requests/s ratio ≥ 0.8 means at most 1.25× the baseline's time per request
                targets.append(
                    Target(
                        f"{upper} within 1.25× of {lower}: {endpoint}, c16 ({backend})",
                        f"{upper}/{lower} requests/s ≥ 0.80 (time ≤ 1.25×)",
                        invalid or ("not measured" if ratio is None else _show(ratio)),
                        None if ratio is None else ratio.interval.median >= 0.8,
                    )
                )
    for name in own:
        for backend, limit in (("sqlite", 2.0), ("postgresql", 1.2)):
            ratio = _ratio(_timing(timings, "data", backend, name, "get_one"), RAW)
            targets.append(
                Target(
                    f"{name} data layer ≤ {limit}× raw: get_one ({backend})",
                    f"{name}/raw time ≤ {limit}",
                    "not measured" if ratio is None else _show(ratio),
                    None if ratio is None else ratio.interval.median <= limit,
                )
            )
    high = [run for run in load if run.concurrency >= 64]
    failures = sum(run.errors + run.timeouts + run.unexpected for run in high)
    targets.append(
        Target(
            "c64+: no errors, no timeouts",
            "0 errors, 0 unexpected statuses and 0 timeouts at concurrency ≥ 64",
            "not measured"
            if not high
            else f"{failures} errors+unexpected+timeouts in {len(high)} runs",
            None if not high else failures == 0,
        )
    )
    for app in variant_names():
        run = _load(load, "sqlite", app, "create", 16)
        valid = run is not None and not run.invalid
        targets.append(
            Target(
                f"SQLite create p99 at c16 ≤ 50 ms ({app})",
                "p99 ≤ 50 ms",
                _invalid(run)
                or ("not measured" if run is None else f"{run.latency_ms['p99']:.1f} ms"),
                run.latency_ms["p99"] <= 50 if run is not None and valid else None,
            )
        )
    return targets


def conclusions(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[str]:
    """Short statements read off the figures: where a variant costs a lot over its baseline
    variant (the ORM over Core), where it is noise, and what the framework floor takes."""
    lines: list[str] = []
    for backend in sorted({t.backend for t in timings} | {run.backend for run in load}):
        for upper, lower in compared_pairs():
            lines += _data_conclusion(timings, backend, upper, lower)
            lines += _wire_conclusions(load, backend, upper, lower)
        for variant in bench_variants():
            if variant.baseline is None:
                lines += _floor_conclusions(timings, backend, variant.name)
    return lines


def _data_conclusion(timings: Sequence[Timing], backend: str, upper: str, lower: str) -> list[str]:
    costly = []
    for timing in timings:
        if (timing.backend, timing.layer, timing.rung) != (backend, "data", upper):
            continue
        ratio = _ratio(timing, lower)
        base = _timing(timings, "data", backend, lower, timing.operation)
        if ratio is None or base is None:
            continue
        extra = timing.interval.median - base.interval.median
        costly.append((ratio.interval.median, timing.operation, extra, ratio))
    if not costly:
        return []
    costly.sort(reverse=True)
    top = costly[0]
    return [
        f"{backend}, data layer: {upper} costs most over {lower} on {top[1]} "
        f"({_show(top[3])}× {lower}, +{top[2]:,.0f} µs per call); least on "
        f"{costly[-1][1]} ({_show(costly[-1][3])}×)."
    ]


def _wire_conclusions(load: Sequence[LoadRun], backend: str, upper: str, lower: str) -> list[str]:
    lines = []
    for run in load:
        if (run.backend, run.app, run.concurrency, run.workers) != (backend, upper, 16, 1):
            continue
        invalid = _invalid(run, _load(load, backend, lower, run.endpoint, 16))
        if invalid is not None:
            lines.append(
                f"{backend}, over the wire, {run.endpoint} at c16: no comparison, the cell is "
                f"{invalid}."
            )
            continue
        ratio = _ratio(run, lower)
        if ratio is None:
            continue
        verdict = (
            "no significant difference"
            if not ratio.significant
            else f"{upper} serves {_show(ratio)}× {lower}'s requests/s"
        )
        lines.append(f"{backend}, over the wire, {run.endpoint} at c16: {verdict}.")
    return lines


def _floor_conclusions(timings: Sequence[Timing], backend: str, name: str) -> list[str]:
    lines = []
    for timing in timings:
        if (timing.backend, timing.layer, timing.rung) != (backend, "asgi", name):
            continue
        bare, with_dependency = _ratio(timing, FLOOR), _ratio(timing, FLOOR_DEPENDENCY)
        if bare is None or timing.operation not in ("get_one", "list_20"):
            continue
        line = (
            f"{backend}, whole request in process, {timing.operation}: the {name} app takes "
            f"{_show(bare)}× the framework floor"
        )
        if with_dependency is not None:
            line += (
                f", and {_show(with_dependency)}× the floor with a do-nothing yield "
                "dependency (the rest is its data layer)"
            )
        lines.append(line + ".")
    return lines
