"""``python -m benchmarks.tests.smoke_run OUTPUT``: the harness's smoke run, with the throwaway
variant ``second-core`` registered, in a process of its own.

The tests start it as a subprocess without the coverage tracer they run under: traced, the
in-process layers' thousands of operations took a minute and a half instead of 20 s, and the
apps' code they run is covered by the contract suite anyway.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from benchmarks.cli import main as bench_main
from shared_tests.second_core_app import VARIANT
from todo_contract.variants import registered


def main(argv: Sequence[str]) -> int:
    """Run the smoke profile (no instruction counts) into the folder ``argv[0]``."""
    (output,) = argv
    with registered(VARIANT):
        return bench_main(["--profile", "smoke", "--no-counts", "--output", output])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
