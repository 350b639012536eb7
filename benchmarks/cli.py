"""``python -m benchmarks``: run the ladder, check the gates, write the report.

python -m benchmarks                          # default profile, SQLite
python -m benchmarks --quick                  # under a minute
python -m benchmarks --backend sqlite,postgresql,mariadb --full
python -m benchmarks --compare reports/example/report.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import asgi_layer, data_layer
from benchmarks.async_report import async_breakdown
from benchmarks.breakdown import data_layer_breakdown, profile_rungs, request_breakdown
from benchmarks.callgrind import valgrind_path
from benchmarks.ceiling import measure_ceiling
from benchmarks.compare import compare_reports, format_change_table, unmatched_keys
from benchmarks.curves import cost_curves
from benchmarks.database import BACKENDS, bench_database, fresh_url, temporary_workdir
from benchmarks.environment import database_version, environment
from benchmarks.gates import query_count_gate, same_answers_gate, twin_count_gate
from benchmarks.instruction_report import instruction_conclusions
from benchmarks.instructions import CountPlan, measure_instructions
from benchmarks.ladder import bench_variants
from benchmarks.load import choose_generator
from benchmarks.profiles import HEADLINE_COUNTS, PROFILES, Profile
from benchmarks.registry import load_rungs
from benchmarks.report import write_report
from benchmarks.results import (
    SCHEMA_VERSION,
    Breakdown,
    Gate,
    InstructionCount,
    LoadRun,
    Report,
    Timing,
)
from benchmarks.servers import available_cpus
from benchmarks.targets import check_targets, conclusions
from benchmarks.terminal import print_summary
from benchmarks.wire import measure_wire

LAYERS = ("data", "asgi", "wire")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    cli = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure what the ORM costs: raw driver, Core, ORM, in process and over HTTP.",
    )
    size = cli.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a short run, under a minute")
    size.add_argument("--full", action="store_true", help="more repeats, every endpoint, c256")
    size.add_argument(
        "--profile", choices=sorted(PROFILES), help="a profile by name (smoke: for tests only)"
    )
    cli.add_argument(
        "--backend",
        default="sqlite",
        help="comma-separated: sqlite, postgresql, mariadb (default: %(default)s)",
    )
    cli.add_argument(
        "--postgresql-url", help="server URL (default: $BENCH_POSTGRESQL_URL or local)"
    )
    cli.add_argument("--mariadb-url", help="server URL (default: $BENCH_MARIADB_URL or local)")
    cli.add_argument("--layers", default=",".join(LAYERS), help="subset of data,asgi,wire")
    cli.add_argument(
        "--output", type=Path, default=Path("reports/latest"), help="(default: %(default)s)"
    )
    cli.add_argument("--compare", type=Path, help="an earlier report.json to compare against")
    cli.add_argument(
        "--generator",
        choices=["auto", "builtin", "wrk"],
        default="auto",
        help="load generator: wrk when on PATH (auto), else the built-in one",
    )
    cli.add_argument(
        "--counts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count CPU instructions per operation with callgrind (default: as the profile)",
    )
    args = cli.parse_args(argv)
    args.backends = [name.strip() for name in args.backend.split(",") if name.strip()]
    args.layer_set = {name.strip() for name in args.layers.split(",") if name.strip()}
    unknown = [b for b in args.backends if b not in BACKENDS] + [
        layer for layer in args.layer_set if layer not in LAYERS
    ]
    if unknown:
        cli.error(f"unknown backend or layer: {', '.join(unknown)}")
    return args


def progress_bar(console: Console) -> Progress:
    """The bars shown while the run goes on."""
    return Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@dataclass
class Measured:
    """What one backend gave: its gates (the same-answers gate first), figures and version."""

    gates: list[Gate]
    version: str
    timings: list[Timing] = field(default_factory=list)
    load: list[LoadRun] = field(default_factory=list)
    breakdown: list[Breakdown] = field(default_factory=list)

    @property
    def answers_agree(self) -> bool:
        """The same-answers gate passed, so the apps were measured."""
        return self.gates[0].passed


def measure_backend(
    backend: str,
    profile: Profile,
    layers: set[str],
    workdir: Path,
    progress: Progress,
    generator: str,
) -> Measured:
    """Everything measured on one backend; apps that fail the same-answers gate are not
    measured."""
    apps = {variant.name: variant.create_app for variant in bench_variants()}
    gate = same_answers_gate(apps, backend, workdir)
    if not gate.passed:
        return Measured([gate], "not measured")
    rungs = load_rungs()
    timings: list[Timing] = []
    load: list[LoadRun] = []
    with fresh_url(backend, workdir) as url, bench_database(backend, url) as bench:
        version = database_version(bench.engine)
        if "data" in layers:
            rung_list = data_layer.limited(list(rungs.values()), profile.async_operations)
            task = progress.add_task(
                f"{backend}: data layer",
                total=data_layer.sample_count(rung_list, profile.operations, profile.data, backend),
            )
            timings += data_layer.measure_data_layer(
                bench,
                rung_list,
                profile.operations,
                profile.data,
                on_sample=lambda: progress.advance(task),
            )
        if "asgi" in layers:
            task = progress.add_task(
                f"{backend}: whole app in process",
                total=asgi_layer.sample_count(
                    profile.operations, profile.asgi, profile.async_operations
                ),
            )
            timings += asgi_layer.measure_asgi_layer(
                bench,
                profile.operations,
                profile.asgi,
                async_operations=profile.async_operations,
                on_sample=lambda: progress.advance(task),
            )
        if "wire" in layers:
            runs = sum(len(config.apps) for config in profile.wire.configs)
            task = progress.add_task(f"{backend}: over the wire", total=runs * profile.wire.repeats)
            plan = replace(profile.wire, generator=generator)
            load += measure_wire(bench, plan, workdir, on_run=lambda: progress.advance(task))
        breakdown: list[Breakdown] = []
        if "data" in layers:
            profiles = profile_rungs(bench, rungs)
            breakdown += data_layer_breakdown(backend, timings, profiles)
            breakdown += request_breakdown(backend, timings, load)
            breakdown += async_breakdown(backend, timings)
    gates = [gate, query_count_gate(timings, backend, rungs), twin_count_gate(timings, backend)]
    return Measured(gates, version, timings, load, breakdown)


def count_backend(
    backend: str,
    operations: Sequence[str],
    plan: CountPlan,
    workdir: Path,
    progress: Progress,
    async_operations: Sequence[str] = (),
) -> list[InstructionCount]:
    """Instruction counts on a database of their own (the probe seeds it under callgrind)."""
    task = progress.add_task(f"{backend}: instructions (callgrind)", total=1)
    with fresh_url(backend, workdir) as url:
        counts = measure_instructions(
            backend, url, operations, plan, workdir, async_operations=async_operations
        )
    progress.advance(task)
    return counts


def count_plan(args: argparse.Namespace, profile: Profile) -> CountPlan | None:
    """The profile's instruction-count plan, switched on or off by ``--counts``/``--no-counts``
    (on for a profile without one: the headline plan), limited to the layers this run measures.
    """
    plan = profile.counts
    if args.counts is False:
        return None
    if args.counts and plan is None:
        plan = HEADLINE_COUNTS
    if plan is None:
        return None
    layers = tuple(layer for layer in plan.layers if layer in args.layer_set)
    return replace(plan, layers=layers) if layers else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the report; 0 on success."""
    args = parse_args(argv)
    for backend, url in (("postgresql", args.postgresql_url), ("mariadb", args.mariadb_url)):
        if url:
            os.environ[f"BENCH_{backend.upper()}_URL"] = url
    profile = PROFILES[
        args.profile or ("quick" if args.quick else "full" if args.full else "default")
    ]
    console = Console()
    generator = choose_generator(args.generator) if "wire" in args.layer_set else "none"
    console.print(
        f"[bold]ORM vs SQL benchmark[/bold] — profile {profile.name}, "
        f"backends {', '.join(args.backends)}, layers {', '.join(sorted(args.layer_set))}, "
        f"load generator {generator}"
    )
    started = time.monotonic()
    gates: list[Gate] = []
    timings: list[Timing] = []
    load: list[LoadRun] = []
    breakdown: list[Breakdown] = []
    versions: dict[str, str] = {}
    ceiling: float | None = None
    counts: list[InstructionCount] = []
    plan = count_plan(args, profile)
    if plan is not None:
        valgrind_path()  # fail now, not after minutes of timing, when valgrind is missing
    with temporary_workdir() as workdir, progress_bar(console) as progress:
        if "wire" in args.layer_set:
            cpus = available_cpus()
            ceiling = measure_ceiling(
                workdir,
                generator=generator,
                server_cpu=cpus[0] if len(cpus) > 1 else None,
                load_cpu=cpus[1] if len(cpus) > 1 else None,
                duration_s=max(profile.wire.duration_s, 0.5),
                warmup_s=profile.wire.warmup_s,
            )
        for backend in args.backends:
            result = measure_backend(backend, profile, args.layer_set, workdir, progress, generator)
            gates += result.gates
            timings += result.timings
            load += result.load
            breakdown += result.breakdown
            versions[backend] = result.version
            if plan is not None and result.answers_agree:
                counts += count_backend(
                    backend, profile.operations, plan, workdir, progress, profile.async_operations
                )
    report = Report(
        schema_version=SCHEMA_VERSION,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        profile=profile.name,
        environment=environment(versions),
        settings={
            "backends": args.backends,
            "layers": sorted(args.layer_set),
            "load_generator": generator,
            "data_plan": asdict(profile.data),
            "asgi_plan": asdict(profile.asgi),
            "async_operations": list(profile.async_operations),
            "wire": {
                "repeats": profile.wire.repeats,
                "duration_s": profile.wire.duration_s,
                "warmup_s": profile.wire.warmup_s,
                "configs": [
                    f"{c.endpoint}@c{c.concurrency}:{'/'.join(c.apps)}"
                    + (f"×{c.workers} workers" if c.workers > 1 else "")
                    for c in profile.wire.configs
                ],
            },
            "load_generator_ceiling_rps": ceiling,
            "instruction_counts": asdict(plan) if plan else None,
            "elapsed_s": round(time.monotonic() - started, 1),
        },
        gates=gates,
        timings=timings,
        load=load,
        breakdown=breakdown,
        targets=check_targets(timings, load),
        conclusions=conclusions(timings, load) + instruction_conclusions(timings, counts),
        instructions=counts,
        curves=cost_curves(timings),
    )
    written = write_report(report, args.output)
    if args.compare:
        old = Report.from_json(json.loads(args.compare.read_text()))
        changes = compare_reports(old, report)
        console.print(format_change_table(changes))
        only_old, only_new = unmatched_keys(old, report)
        if only_old or only_new:
            console.print(
                f"not compared: {len(only_old)} figures only in the old run, "
                f"{len(only_new)} only in this one"
            )
    console.print(
        f"{len(written)} files written in {report.settings['elapsed_s']} s", highlight=False
    )
    print_summary(report, console, args.output)
    # A failed gate (apps answering differently, undeclared extra statements) fails the run:
    # the report is written to show why, but no script may take its figures as good.
    return 0 if all(gate.passed for gate in gates) else 1
