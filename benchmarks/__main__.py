"""``python -m benchmarks`` / ``make bench``: placeholder until the benchmark lands.

It exits with status 2 rather than printing made-up figures.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Say that the benchmark is not built yet."""
    print(
        "The benchmark is not built yet: the two apps and their contract suite come first.\n"
        "Run the tests with: make test",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
