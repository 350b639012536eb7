"""The targets the apps should reach, checked against this run's own figures, and the
conclusions the report draws from them — written from the numbers, never by hand."""

from __future__ import annotations

from collections.abc import Sequence

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
        if (run.backend, run.app, run.endpoint, run.concurrency) == (backend, app, endpoint, level):
            return run
    return None


def _show(ratio: Ratio) -> str:
    interval = ratio.interval
    return f"{interval.median:.2f} [{interval.low:.2f}–{interval.high:.2f}]"


def check_targets(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[Target]:
    """Every target of the benchmark issue, met, missed (by how much) or not measured."""
    targets: list[Target] = []
    for endpoint in ("get_one", "list_20"):
        for level in (1, 16):
            ratio = _ratio(_load(load, "sqlite", "core", endpoint, level), "floor")
            targets.append(
                Target(
                    f"core ≥ 85% of the floor: {endpoint}, c{level} (SQLite)",
                    "core/floor requests/s ≥ 0.85",
                    "not measured" if ratio is None else f"{_show(ratio)}",
                    None if ratio is None else ratio.interval.median >= 0.85,
                )
            )
    endpoints = sorted({run.endpoint for run in load if run.app == "orm" and run.concurrency == 16})
    for backend in sorted({run.backend for run in load}):
        for endpoint in endpoints:
            ratio = _ratio(_load(load, backend, "orm", endpoint, 16), "core")
            if ratio is None:
                continue
            # requests/s ratio orm/core ≥ 0.8 means the ORM takes at most 1.25× Core's time
            targets.append(
                Target(
                    f"orm within 1.25× of core: {endpoint}, c16 ({backend})",
                    "orm/core requests/s ≥ 0.80 (time ≤ 1.25×)",
                    f"{_show(ratio)}",
                    ratio.interval.median >= 0.8,
                )
            )
    for backend, limit in (("sqlite", 2.0), ("postgresql", 1.2)):
        ratio = _ratio(_timing(timings, "data", backend, "core", "get_one"), "raw")
        targets.append(
            Target(
                f"core data layer ≤ {limit}× raw: get_one ({backend})",
                f"core/raw time ≤ {limit}",
                "not measured" if ratio is None else _show(ratio),
                None if ratio is None else ratio.interval.median <= limit,
            )
        )
    high = [run for run in load if run.concurrency >= 64]
    failures = sum(run.errors + run.timeouts for run in high)
    targets.append(
        Target(
            "c64+: no errors, no timeouts",
            "0 errors and 0 timeouts at concurrency ≥ 64",
            "not measured" if not high else f"{failures} errors+timeouts in {len(high)} runs",
            None if not high else failures == 0,
        )
    )
    for app in ("core", "orm"):
        run = _load(load, "sqlite", app, "create", 16)
        targets.append(
            Target(
                f"SQLite create p99 at c16 ≤ 50 ms ({app})",
                "p99 ≤ 50 ms",
                "not measured" if run is None else f"{run.latency_ms['p99']:.1f} ms",
                None if run is None else run.latency_ms["p99"] <= 50,
            )
        )
    return targets


def conclusions(timings: Sequence[Timing], load: Sequence[LoadRun]) -> list[str]:
    """Short statements read off the figures: where the ORM costs a lot, where it is noise."""
    lines: list[str] = []
    for backend in sorted({timing.backend for timing in timings}):
        data = [
            t for t in timings if t.backend == backend and t.layer == "data" and t.rung == "orm"
        ]
        costly = []
        for timing in data:
            ratio = _ratio(timing, "core")
            core = _timing(timings, "data", backend, "core", timing.operation)
            if ratio is None or core is None:
                continue
            extra = timing.interval.median - core.interval.median
            costly.append((ratio.interval.median, timing.operation, extra, ratio))
        costly.sort(reverse=True)
        if costly:
            top = costly[0]
            lines.append(
                f"{backend}, data layer: the ORM costs most on {top[1]} "
                f"({_show(top[3])}× Core, +{top[2]:,.0f} µs per call); least on "
                f"{costly[-1][1]} ({_show(costly[-1][3])}×)."
            )
        for run in load:
            if run.backend != backend or run.app != "orm" or run.concurrency != 16:
                continue
            ratio = _ratio(run, "core")
            if ratio is None:
                continue
            verdict = (
                "no significant difference"
                if not ratio.significant
                else f"the ORM app serves {_show(ratio)}× Core's requests/s"
            )
            lines.append(f"{backend}, over the wire, {run.endpoint} at c16: {verdict}.")
        asgi = [
            t for t in timings if t.backend == backend and t.layer == "asgi" and t.rung == "core"
        ]
        for timing in asgi:
            bare, with_dependency = _ratio(timing, "floor"), _ratio(timing, "floor+dependency")
            if bare is None or timing.operation not in ("get_one", "list_20"):
                continue
            line = (
                f"{backend}, whole request in process, {timing.operation}: the Core app takes "
                f"{_show(bare)}× the framework floor"
            )
            if with_dependency is not None:
                line += (
                    f", and {_show(with_dependency)}× the floor with a do-nothing yield "
                    "dependency (the rest is its data layer)"
                )
            lines.append(line + ".")
    return lines
