"""Instructions per operation on every rung of both in-process layers, counted by callgrind.

Times on a shared machine wander from run to run; instruction counts do not. This module
plans which (layer, rung, operation) to count, runs ``benchmarks.instructions_probe`` once
under callgrind (see ``benchmarks.callgrind`` for the marker method), and turns the dumps
into ``InstructionCount`` figures with the same ratios as the timings (orm/core, core/raw,
app/floor...).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.asgi_layer import app_factories, baselines
from benchmarks.callgrind import TOOL, Dump, by_family, callgrind_command, read_dumps
from benchmarks.instructions_probe import SEGMENT_LABEL
from benchmarks.ladder import FLOOR, RAW, bench_variants, variant_names
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
    """Count only the main ladder: raw and the variants; the floor and the variants."""

    def n_for(self, operation: str) -> int:
        """Operations per segment for ``operation`` (fewer for a heavy one: a thousand rows)."""
        return self.heavy_n if OPERATIONS[operation].heavy else self.n

    def chosen_data_rungs(self) -> tuple[str, ...]:
        """The data-layer rungs to count, in ladder order."""
        if self.data_rungs is not None:
            return self.data_rungs
        if self.main_ladder_only:
            return (RAW, *variant_names())
        return tuple(load_rungs())

    def chosen_asgi_apps(self) -> tuple[str, ...]:
        """The in-process apps to count."""
        if self.asgi_apps is not None:
            return self.asgi_apps
        if self.main_ladder_only:
            return (FLOOR, *variant_names())
        return tuple(app_factories())


def plan_pairs(plan: CountPlan, operations: Sequence[str]) -> list[dict[str, Any]]:
    """Every (layer, rung, operation) to count, in ladder order."""
    if plan.operations is not None:
        operations = [operation for operation in operations if operation in plan.operations]
    pairs: list[dict[str, Any]] = []
    if "data" in plan.layers:
        chosen = plan.chosen_data_rungs()
        for rung in load_rungs().values():
            if rung.name not in chosen:
                continue
            for operation in operations:
                if operation in rung.implementations:
                    pairs.append(_pair("data", rung.name, operation, plan.n_for(operation)))
    if "asgi" in plan.layers:
        for app in plan.chosen_asgi_apps():
            for operation in operations:
                if operation in HTTP_OPERATIONS:
                    pairs.append(_pair("asgi", app, operation, plan.n_for(operation)))
    return pairs


def _pair(layer: str, rung: str, operation: str, n: int) -> dict[str, Any]:
    return {"layer": layer, "rung": rung, "operation": operation, "n": n}


def run_probe(
    backend: str, url: str, plan: CountPlan, pairs: Sequence[Mapping[str, Any]], workdir: Path
) -> tuple[list[str], list[Dump]]:
    """Run the probe under callgrind; return its marker labels and the matching dumps."""
    output_dir = workdir / f"callgrind-{backend}"
    output_dir.mkdir(parents=True, exist_ok=True)
    plan_path, labels_path = output_dir / "plan.json", output_dir / "labels.json"
    asgi_apps = list(plan.chosen_asgi_apps()) if "asgi" in plan.layers else []
    plan_json = {
        "backend": backend,
        "url": url,
        "warmup": plan.warmup,
        "asgi_apps": asgi_apps,
        "pairs": list(pairs),
        "variants": [asdict(variant) for variant in bench_variants()],
    }
    plan_path.write_text(json.dumps(plan_json))
    program = [sys.executable, "-m", "benchmarks.instructions_probe"]
    program += ["--plan", str(plan_path), "--labels", str(labels_path)]
    # A fixed hash seed: set and dict layouts, and so the instructions, are the same every run.
    # No coverage tracer in the probe (a test run under coverage passes one to its children
    # through COVERAGE_* variables): it would be counted, and make callgrind's run far longer.
    env = {name: value for name, value in os.environ.items() if not name.startswith("COVERAGE_")}
    env["PYTHONHASHSEED"] = "0"
    completed = subprocess.run(
        callgrind_command(program, output_dir),
        env=env,
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
    labels: list[str] = json.loads(labels_path.read_text())
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
    full = dumps[labels.index(SEGMENT_LABEL.format(**names, n=pair["n"]))]
    empty = dumps[labels.index(SEGMENT_LABEL.format(**names, n=0))]
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
    backend: str, url: str, operations: Sequence[str], plan: CountPlan, workdir: Path
) -> list[InstructionCount]:
    """Count instructions per operation for every rung on ``backend`` (a fresh ``url``)."""
    pairs = plan_pairs(plan, operations)
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
