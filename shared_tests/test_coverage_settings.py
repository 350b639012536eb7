"""The coverage settings ``make test`` measures under (``[tool.coverage.run]`` in
``pyproject.toml``).

Coverage must follow threads (the TestClient runs each app on a thread of its own) and must not
follow greenlets: to follow them its tracer keys a ``WeakKeyDictionary`` by the greenlet of
every thread it traces. When such a thread ends, greenlet frees its state in a pending call on
the main thread, the dictionary's callback runs Python code inside that call, and on Python
3.11 another thread ending at that moment leaves the main thread spinning in the callback
forever. The whole suite then hangs at its last tests (it did, in CI); eight threads at a time
switching greenlets under coverage, while the main thread computes, hung in 2 runs of 3.
"""

from __future__ import annotations

from pathlib import Path

import coverage

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_coverage_follows_threads_and_not_greenlets() -> None:
    concurrency = coverage.Coverage(config_file=str(PYPROJECT)).config.concurrency
    assert "thread" in concurrency
    assert "greenlet" not in concurrency, "greenlet tracking hangs the suite on Python 3.11"
