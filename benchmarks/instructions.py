"""Instructions per operation on every rung of both in-process layers, counted by callgrind.

Times on a shared machine wander from run to run; instruction counts do not. This module
plans which (layer, rung, operation) to count, runs ``benchmarks.instructions_probe`` once
under callgrind (see ``benchmarks.callgrind`` for the marker method), and turns the dumps
into ``InstructionCount`` figures with the same ratios as the timings (orm/core, core/raw,
app/floor...).
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.asgi_layer import app_factories, baselines
from benchmarks.callgrind import TOOL, Dump, by_family, callgrind_command, read_dumps
from benchmarks.instructions_probe import segment_label
from benchmarks.ladder import (
    FLOOR,
    FLOOR_ASYNC,
    RAW,
    RAW_ASYNC,
    async_variants,
    bench_variants,
    is_async,
    sync_variants,
)
from benchmarks.registry import HTTP_OPERATIONS, OPERATIONS, load_rungs
from benchmarks.results import InstructionCount
from benchmarks.summary import extra_ratios

PROBE_TIMEOUT_S = 3600


@dataclass(frozen=True)
class CountPlan:
    """How many operations each counted segment runs, after how many warm-up operations.

    The counts are exact, so ``n`` only has to be large enough that what happens once in a
    while (a garbage collection, a cache refill) is averaged over several operations.
    """

    n: int = 20
    heavy_n: int = 3
    warmup: int = 3
    layers: tuple[str, ...] = ("data", "asgi")
    asgi_apps: tuple[str, ...] | None = None  # None: every app (or the main ones, see below)
    data_rungs: tuple[str, ...] | None = None  # None: every rung (or the main ones)
    operations: tuple[str, ...] | None = None  # None: every operation the profile measures
    main_ladder_only: bool = False
    """Count only the main ladder: raw and the variants; the floor and the variants (and, when
    async variants are registered, their raw driver and floor and them)."""

    def n_for(self, operation: str) -> int:
        """Operations per segment for ``operation`` (fewer for a heavy one: a thousand rows)."""
        return self.heavy_n if OPERATIONS[operation].heavy else self.n

    def chosen_data_rungs(self) -> tuple[str, ...]:
        """The data-layer rungs to count, in ladder order."""
        if self.data_rungs is not None:
            return self.data_rungs
        if self.main_ladder_only:
            return _main_ladder(RAW, RAW_ASYNC)
        return tuple(load_rungs())

    def chosen_asgi_apps(self) -> tuple[str, ...]:
        """The in-process apps to count."""
        if self.asgi_apps is not None:
            return self.asgi_apps
        if self.main_ladder_only:
            return _main_ladder(FLOOR, FLOOR_ASYNC)
        return tuple(app_factories())


def _main_ladder(sync_base: str, async_base: str) -> tuple[str, ...]:
    """The base rung and the sync variants, then (when any is registered) the async base
    and the async variants."""
    ladder = (sync_base, *(v.name for v in sync_variants()))
    if async_variants():
        ladder += (async_base, *(v.name for v in async_variants()))
    return ladder


def plan_pairs(
    plan: CountPlan,
    operations: Sequence[str],
    *,
    backend: str | None = None,
    async_operations: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every (layer, rung, operation) to count, in ladder order: the async rungs only on
    ``async_operations`` (None: on every operation), the rungs that run on ``backend``."""
    if plan.operations is not None:
        operations = [operation for operation in operations if operation in plan.operations]

    def counted(rung: str, operation: str) -> bool:
        return not is_async(rung) or async_operations is None or operation in async_operations

    pairs: list[dict[str, Any]] = []
    if "data" in plan.layers:
        chosen = plan.chosen_data_rungs()
        for rung in load_rungs().values():
            if rung.name not in chosen or (backend is not None and not rung.runs_on(backend)):
                continue
            for operation in operations:
                if operation in rung.implementations and counted(rung.name, operation):
                    pairs.append(_pair("data", rung.name, operation, plan.n_for(operation)))
    if "asgi" in plan.layers:
        for app in plan.chosen_asgi_apps():
            for operation in operations:
                if operation in HTTP_OPERATIONS and counted(app, operation):
                    pairs.append(_pair("asgi", app, operation, plan.n_for(operation)))
    return pairs


def _pair(layer: str, rung: str, operation: str, n: int) -> dict[str, Any]:
    return {"layer": layer, "rung": rung, "operation": operation, "n": n}


PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: the probe imports the benchmark from here, whatever its working directory."""

PROBE_ENVIRONMENT = {
    "PATH": os.defpath,
    "PYTHONPATH": str(PROJECT_ROOT),
    # A fixed hash seed: set and dict layouts, and so the instructions, are the same every run.
    "PYTHONHASHSEED": "0",
    # Compiling a module allocates far more than loading its .pyc: the probe never writes one
    # (two probes at once would race to), and finds every project module compiled
    # (``compile_probe_sources``), so its start-up does the same work every run.
    "PYTHONDONTWRITEBYTECODE": "1",
    # numpy is imported on the way (benchmarks.stats); its OpenBLAS would start a worker thread
    # per core that spins for a while (7.5 million instructions more in one start-up than in
    # another, measured), at moments that depend on the host's scheduling.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # Every C function a library calls is looked up when the library is loaded, not on its
    # first call: a first call that the clock's digits delayed into a segment (the zero padding
    # of a timestamp) added 1,300 instructions of the dynamic linker's lookups to it.
    "LD_BIND_NOW": "1",
}
"""The probe's environment, whole. Nothing else is inherited but ``PASSED_THROUGH``: the
caller's variables (a shell's ``PWD``, pytest's ``PYTEST_CURRENT_TEST``, ``COVERAGE_*``, which
would start a coverage tracer that callgrind would count) change the lengths of the strings the
interpreter allocates at start-up, and so the memory layout the counts depend on (see
``run_probe``)."""

PASSED_THROUGH = ("LD_LIBRARY_PATH", "VALGRIND_LIB")
PASSED_THROUGH_PREFIXES = ("PG",)
"""Variables valgrind, the interpreter or a driver may need to run at all (libpq reads
``PGPASSWORD``, ``PGSSLMODE``...): the machine's, the same from run to run."""


def probe_environment(inherited: Mapping[str, str]) -> dict[str, str]:
    """The environment the probe runs in: ``PROBE_ENVIRONMENT`` and what must pass through."""
    passed = {
        name: value
        for name, value in inherited.items()
        if name in PASSED_THROUGH or name.startswith(PASSED_THROUGH_PREFIXES)
    }
    return {**passed, **PROBE_ENVIRONMENT}


def compile_probe_sources() -> None:
    """Write the ``.pyc`` of every module of the benchmark, the contract and the variants.

    The probe imports them; where a source changed since its ``.pyc`` was written, the probe
    would compile it instead (and place every later object elsewhere in memory). A directory
    that cannot be written is left as it is: the probe then compiles those modules every run.
    """
    packages = {"benchmarks", "todo_contract", *(variant.package for variant in bench_variants())}
    for package in sorted(packages):
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(location, quiet=2)


def probe_url(backend: str, url: str, directory: Path) -> str:
    """The database the probe seeds and measures: on SQLite a file in the probe's directory.

    A SQLite URL names a path of any length (the caller's work directory); the probe gets one
    whose length is the same every run. A server's fresh database has a fixed-length name.
    """
    if backend == "sqlite":
        return f"sqlite:///{directory / 'todos.db'}"
    return url


def run_probe(
    backend: str, url: str, plan: CountPlan, pairs: Sequence[Mapping[str, Any]], workdir: Path
) -> tuple[list[str], list[Dump]]:
    """Run the probe under callgrind; return its marker labels and the matching dumps.

    The probe gets the same inputs on every run, down to their lengths: the same environment
    (``probe_environment``), arguments and working directory (a temporary directory, whose
    path has the same length every time), the same database path (``probe_url``) and every
    module already compiled. It has to: the interpreter places each object according to
    the sizes of everything allocated before it, and CPython's type attribute cache (4096
    slots, picked by the type's version tag and the *address* of the attribute name) keeps or
    evicts entries depending on where those names landed. Two runs whose work directories
    were named ``first`` and ``second`` differed by 1.4-2.7% on Core's get_one, all of it in
    cache misses (``find_name_in_mro`` and the dict lookups it makes); with equal inputs the
    data-layer segments repeat to the instruction, bar the clock (see the tests).
    """
    output_dir = workdir / f"callgrind-{backend}"
    output_dir.mkdir(parents=True, exist_ok=True)
    asgi_apps = list(plan.chosen_asgi_apps()) if "asgi" in plan.layers else []
    compile_probe_sources()
    with tempfile.TemporaryDirectory(prefix="todo-callgrind-") as directory:
        probe_dir = Path(directory)
        plan_json = {
            "backend": backend,
            "url": probe_url(backend, url, probe_dir),
            "warmup": plan.warmup,
            "asgi_apps": asgi_apps,
            "pairs": list(pairs),
            "variants": [asdict(variant) for variant in bench_variants()],
        }
        (probe_dir / "plan.json").write_text(json.dumps(plan_json))
        (output_dir / "plan.json").write_text(json.dumps(plan_json))
        program = [sys.executable, "-m", "benchmarks.instructions_probe"]
        program += ["--plan", "plan.json", "--labels", "labels.json"]
        completed = subprocess.run(
            callgrind_command(program, output_dir),
            cwd=probe_dir,
            env=probe_environment(os.environ),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"the instruction-count probe failed ({completed.returncode}):\n"
                f"{completed.stderr[-3000:]}"
            )
        labels_text = (probe_dir / "labels.json").read_text()
    (output_dir / "labels.json").write_text(labels_text)
    labels: list[str] = json.loads(labels_text)
    dumps = read_dumps(output_dir)
    if len(dumps) != len(labels):
        raise RuntimeError(
            f"callgrind wrote {len(dumps)} marker dumps for {len(labels)} markers: is "
            "os.getppid() called somewhere else, or is getppid not a symbol of the C library?"
        )
    return labels, dumps


def per_operation(
    labels: Sequence[str], dumps: Sequence[Dump], pair: Mapping[str, Any]
) -> tuple[float, dict[str, float]]:
    """(segment of n - segment of 0) / n: instructions per operation, and by family."""
    names = {key: pair[key] for key in ("layer", "rung", "operation")}
    full = dumps[labels.index(segment_label(**names, n=pair["n"]))]
    empty = dumps[labels.index(segment_label(**names, n=0))]
    n = int(pair["n"])
    full_families, empty_families = by_family(full.by_object), by_family(empty.by_object)
    families = {
        family: (full_families.get(family, 0) - empty_families.get(family, 0)) / n
        for family in sorted(set(full_families) | set(empty_families))
    }
    return (full.total - empty.total) / n, families


def baselines_by_layer() -> dict[str, dict[str, str | None]]:
    """The rung each rung's ratio is taken against, per layer, as for the timings."""
    return {
        "data": {rung.name: rung.baseline for rung in load_rungs().values()},
        "asgi": baselines(),
    }


def add_ratios(counts: Sequence[InstructionCount]) -> None:
    """Fill in each count's ratios against its baseline and the extra ratios the timings show."""
    baselines = baselines_by_layer()
    by_key = {(c.backend, c.layer, c.rung, c.operation): c for c in counts}
    for count in counts:
        denominators = [baselines[count.layer].get(count.rung), *extra_ratios(count.rung)]
        for denominator in denominators:
            other = by_key.get((count.backend, count.layer, denominator or "", count.operation))
            if other is not None and other.instructions_per_operation > 0:
                ratio = count.instructions_per_operation / other.instructions_per_operation
                count.ratios[f"{count.rung}/{denominator}"] = ratio


def measure_instructions(
    backend: str,
    url: str,
    operations: Sequence[str],
    plan: CountPlan,
    workdir: Path,
    *,
    async_operations: Sequence[str] | None = None,
) -> list[InstructionCount]:
    """Count instructions per operation for every rung on ``backend`` (a fresh ``url``); the
    async rungs on ``async_operations`` only (None: on every operation).

    On SQLite the probe makes its database file in a directory of its own (``probe_url``):
    only the backend of ``url`` is used.
    """
    pairs = plan_pairs(plan, operations, backend=backend, async_operations=async_operations)
    labels, dumps = run_probe(backend, url, plan, pairs, workdir)
    counts = []
    for pair in pairs:
        instructions, families = per_operation(labels, dumps, pair)
        counts.append(
            InstructionCount(
                layer=pair["layer"],
                backend=backend,
                rung=pair["rung"],
                operation=pair["operation"],
                tool=TOOL,
                operations=int(pair["n"]),
                instructions_per_operation=round(instructions, 1),
                by_family={family: round(value, 1) for family, value in families.items()},
            )
        )
    add_ratios(counts)
    return counts
