"""The script callgrind runs: every rung of every operation, in marked segments.

``python -m benchmarks.instructions_probe --plan plan.json`` migrates and seeds the database
named in the plan, then for each (layer, rung, operation) runs a warm-up followed by a marked
segment of ``n`` operations, and once per (layer, rung) a warm-up followed by an empty segment:
the same runner with 0 operations. The parent subtracts the empty segment from each segment of
the rung and divides by ``n``, so what a segment does apart from the operations (the loop, the
markers, the event loop's round trip) cancels, and start-up,
imports and seeding fall outside every segment: they run, with the first warm-up, before
callgrind's instrumentation is turned on (``instrument``, and ``benchmarks.callgrind``).

Arguments, requests and clean-up (deleting the rows a segment added) are prepared outside the
segments, as the timings do. The plan and the list of segment labels travel as JSON files.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.asgi_layer import AsgiBench, expected_status, requests_for
from benchmarks.awaiting import awaited
from benchmarks.callgrind import mark, start_instrumentation
from benchmarks.database import BenchDatabase, bench_database
from benchmarks.registry import OPERATIONS, load_rungs
from todo_contract.variants import Variant, register, variants

SEGMENT_LABEL = "{layer}|{rung}|{operation}|{n}"
BETWEEN = "between"
EMPTY = ""
"""The operation named in an empty segment's label: one per (layer, rung)."""


def segment_label(layer: str, rung: str, operation: str, n: int) -> str:
    """The label of a segment of ``n`` operations; an empty one (``n`` = 0) is the rung's and
    names no operation. The probe writes it, the parent looks segments up by it."""
    return SEGMENT_LABEL.format(
        layer=layer, rung=rung, operation=EMPTY if n == 0 else operation, n=n
    )


SWITCH_INTERVAL_S = 1000.0

Runner = Callable[[int], Callable[[], None]]
"""Given a number of operations, prepares them and returns what performs them."""


def data_runner(bench: BenchDatabase, rung: str, operation: str) -> Runner:
    """Prepare ``n`` calls of a data-layer rung; the returned callable makes them (an async
    rung's as one batch awaited on the database's event loop, as the timings do)."""
    found = load_rungs()[rung]
    function = found.implementations[operation]

    def prepare(n: int) -> Callable[[], None]:
        arguments: list[Any] = OPERATIONS[operation].arguments(bench, n) if n else []

        def run() -> None:
            if found.awaits:
                awaited(bench, function, arguments)
                return
            for argument in arguments:
                function(bench, argument)

        return run

    return prepare


def asgi_runner(asgi: AsgiBench, app: str, operation: str) -> Runner:
    """Prepare ``n`` whole requests to one app in process; the callable sends them."""
    expected = expected_status(operation)

    def prepare(n: int) -> Callable[[], None]:
        requests = requests_for(asgi.bench, operation, n, app) if n else []

        def run() -> None:
            asgi.send_all(app, requests, expected)

        return run

    return prepare


@functools.cache
def instrument() -> None:
    """Turn callgrind's instrumentation on, once, just before the first marker.

    Until then the probe runs several times faster: start-up, imports, migrating, seeding and
    the first warm-up, where the statement caches and the drivers' type maps fill (about 440
    million instructions, most of an instrumented run), all outside every segment.
    """
    start_instrumentation()


def measure_segment(
    bench: BenchDatabase, label: dict[str, Any], runner: Runner, warmup: int, n: int
) -> list[str]:
    """Warm up, then a marked segment of ``n`` operations (0: the empty segment).

    Returns one label per marker: the label of the segment that marker ends.
    """
    adds_rows = OPERATIONS[label["operation"]].adds_rows
    runner(warmup)()
    if adds_rows:
        bench.remove_rows_after_seed()
    run = runner(n)
    settle_collector()
    instrument()
    mark()  # ends the warm-up and preparation
    run()
    mark()  # ends the measured segment
    if adds_rows:
        bench.remove_rows_after_seed()
    return [BETWEEN, segment_label(**label, n=n)]


def settle_collector() -> None:
    """Start every segment with empty collector generations, at the cost of the new objects.

    The full collection makes the collections that fall inside a segment depend on what the
    segment allocates, not on what the process did before. ``gc.freeze`` then moves every
    survivor out of the collector's reach, so the next collection walks only what was made
    since: under callgrind a collection of the whole heap cost about 45 million
    instructions, and was two thirds of the probe's time when each segment had one. A young
    collection inside a segment walks only young objects, frozen or not: against the same
    code without the freeze the counts moved by at most 0.31% (whole requests; 0.06% at the
    data layer), within the 2% they vary by with the probe's memory layout (``AGREEMENT``
    in ``benchmarks/tests/test_benchmark_instructions.py``).
    """
    gc.collect()
    gc.freeze()


def register_variants(declared: list[dict[str, Any]]) -> None:
    """Register the variants the parent measures that this process does not know yet.

    The parent may have registered one at run time (a test's throwaway variant); the probe
    is a fresh interpreter that knows only the registry module's own entries.
    """
    known = {v.name for v in variants()}
    for fields in declared:
        if fields["name"] not in known:
            register(Variant(**{**fields, "serve": tuple(fields["serve"])}))


def run_plan(plan: dict[str, Any]) -> list[str]:
    """Measure every pair in ``plan``; return one label per marker, in marker order."""
    register_variants(plan["variants"])
    # Threads (the apps' thread pool) hand over the GIL only when they block, not on the 5 ms
    # wall-clock switch interval, which under callgrind would fall at a different instruction
    # every run. (What remains variable in whole requests: how often the event loop wakes for
    # the thread pool's results.)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    labels: list[str] = []
    emptied: set[tuple[str, str]] = set()
    warmup = int(plan["warmup"])
    with ExitStack() as stack:
        bench = stack.enter_context(bench_database(plan["backend"], plan["url"]))
        asgi: AsgiBench | None = None
        # Data-layer pairs run before any app is started: a started app brings an event loop
        # and a thread pool, whose wake-ups would land in the data segments at moments that
        # differ from run to run.
        for pair in sorted(plan["pairs"], key=lambda pair: pair["layer"] != "data"):
            layer, rung, operation, n = pair["layer"], pair["rung"], pair["operation"], pair["n"]
            if layer == "data":
                runner = data_runner(bench, rung, operation)
            else:
                if asgi is None:
                    asgi = stack.enter_context(AsgiBench(bench, plan["asgi_apps"]))
                runner = asgi_runner(asgi, rung, operation)
            label = {"layer": layer, "rung": rung, "operation": operation}
            labels += measure_segment(bench, label, runner, warmup, int(n))
            if (layer, rung) not in emptied:
                emptied.add((layer, rung))
                labels += measure_segment(bench, label, runner, warmup, 0)
    return labels


def main(argv: Sequence[str] | None = None) -> None:
    """Read the plan, measure, write the labels."""
    cli = argparse.ArgumentParser(prog="python -m benchmarks.instructions_probe")
    cli.add_argument("--plan", type=Path, required=True)
    cli.add_argument("--labels", type=Path, required=True)
    args = cli.parse_args(argv)
    labels = run_plan(json.loads(args.plan.read_text()))
    args.labels.write_text(json.dumps(labels))


if __name__ == "__main__":
    main()
