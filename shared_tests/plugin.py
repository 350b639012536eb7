"""The suite's command-line options and parametrization, loaded with ``-p shared_tests.plugin``.

Select backends with ``--backend sqlite,postgresql,mariadb`` (default: all three, or the
``TODO_TEST_BACKENDS`` environment variable). A selected server that does not answer fails
the run at once, with the command that starts it; nothing is skipped. Every test that takes
``app_kind`` runs for every registered variant (``todo_contract.variants``), every test that
takes ``backend`` on each selected backend, and every test that takes ``server_backend`` on
each selected server backend (PostgreSQL, MariaDB), against a private server of its own
(``shared_tests.private_servers``). With no server backend selected those tests are
deselected: there is nothing for them to run on.
A test marked ``@pytest.mark.backends("postgresql", "mariadb")`` runs only on those of them
that are selected, and is deselected (never skipped) when none is. A test marked
``unmeasured`` runs without coverage, and so do the processes it starts (pytest-cov's own
``no_cover`` is not enough under xdist: see ``pytest_runtest_call``); one marked
``unmeasured(except_long_run=True)`` is measured on the pairs that take the long run only.

(A plugin rather than ``conftest.py`` hooks, so that ``--backend`` is known however pytest is
invoked.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import coverage
import pytest

from shared_tests.backends import selected_backends, takes_the_long_run, unreachable_reason
from todo_contract.variants import variants

pytest_plugins = ("shared_tests.private_servers",)

SERVER_BACKENDS = ("postgresql", "mariadb")
BACKENDS_KEY = pytest.StashKey[list[str]]()
NOT_SELECTED = "not-selected"
COVERAGE_CONFIG_VARIABLE = "COVERAGE_PROCESS_CONFIG"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        default=os.environ.get("TODO_TEST_BACKENDS", "all"),
        help="comma-separated backends to test: sqlite, postgresql, mariadb, or all (default)",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[BACKENDS_KEY] = selected_backends(config.getoption("--backend"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.addinivalue_line(
        "markers", "backends(*names): run only on these backends (among those selected)"
    )
    config.addinivalue_line(
        "markers",
        "unmeasured(except_long_run=False): run without coverage, as do the processes the "
        "test starts (with except_long_run, only off the pairs that take the long run)",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = [
        reason
        for backend in session.config.stash[BACKENDS_KEY]
        if (reason := unreachable_reason(backend)) is not None
    ]
    if problems:
        pytest.exit("\n".join(problems), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "app_kind" in metafunc.fixturenames:
        metafunc.parametrize("app_kind", [variant.name for variant in variants()])
    if "backend" in metafunc.fixturenames:
        backends = metafunc.config.stash[BACKENDS_KEY]
        if (only := metafunc.definition.get_closest_marker("backends")) is not None:
            backends = [backend for backend in backends if backend in only.args]
        metafunc.parametrize("backend", backends or [NOT_SELECTED])
    if "server_backend" in metafunc.fixturenames:
        servers = server_backends(metafunc.config)
        metafunc.parametrize("server_backend", servers or [NOT_SELECTED])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run an ``unmeasured`` test, and every process it starts, without coverage.

    Under xdist a worker runs two coverage tracers, one after the other: pytest-cov's and the
    one coverage's ``patch = ["subprocess"]`` starts in every Python process that inherits
    ``COVERAGE_PROCESS_CONFIG`` (the workers are such processes). Pausing pytest-cov's alone
    (its ``no_cover`` marker) hands tracing back to the other, so every started one is stopped
    here, and the variable is kept from the servers the test starts.
    """
    if measured(item):
        return (yield)
    stopped: list[coverage.Coverage] = []
    while (measuring := coverage.Coverage.current()) is not None:
        measuring.stop()
        stopped.append(measuring)
    inherited = os.environ.pop(COVERAGE_CONFIG_VARIABLE, None)
    try:
        return (yield)
    finally:
        if inherited is not None:
            os.environ[COVERAGE_CONFIG_VARIABLE] = inherited
        for measuring in reversed(stopped):
            measuring.start()


def measured(item: pytest.Item) -> bool:
    """Whether ``item`` runs under coverage: unless marked ``unmeasured``, and with
    ``unmeasured(except_long_run=True)`` on the pairs of variant and backend that take the
    long run (``takes_the_long_run``: every variant and every backend once at least), where
    the same paths are traced as on the others."""
    marker = item.get_closest_marker("unmeasured")
    if marker is None:
        return True
    if not marker.kwargs.get("except_long_run", False):
        return False
    params = _params(item)
    if "app_kind" not in params or "backend" not in params:
        raise pytest.UsageError(
            f"{item.nodeid}: unmeasured(except_long_run=True) needs app_kind and backend"
        )
    return takes_the_long_run(str(params["app_kind"]), str(params["backend"]))


def server_backends(config: pytest.Config) -> list[str]:
    """The selected backends that are database servers."""
    return [backend for backend in config.stash[BACKENDS_KEY] if backend in SERVER_BACKENDS]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (never skip) tests left with no selected backend to run on; slow ones first
    on every worker.

    An empty parametrization would make pytest report a skip; these tests get the
    ``NOT_SELECTED`` placeholder instead and are taken out here.
    """
    unselected = [item for item in items if NOT_SELECTED in _params(item).values()]
    if unselected:
        config.hook.pytest_deselected(items=unselected)
        items[:] = [item for item in items if item not in unselected]
    items[:] = slow_first_on_every_worker(items, _worker_count(config))


def _worker_count(config: pytest.Config) -> int:
    """How many xdist workers share the run (1 without xdist)."""
    workerinput = getattr(config, "workerinput", None)
    return 1 if workerinput is None else int(workerinput["workercount"])


def slow_first_on_every_worker(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The tests in an order that starts every worker on its share of the slow ones.

    xdist's ``worksteal`` scheduling hands each of the N workers one contiguous Nth of this
    list, and an idle worker then takes the tail of a busy one's queue. With every slow test
    at the front of the list they all landed on the first worker, which ran them one after
    another while the others ran out of quick ones to steal; so each Nth here starts with
    every Nth slow test and goes on with every Nth quick one (order kept within each).

    Odd workers take their slow tests from the last: the slow tests of one module are alike
    (all waiting on timeouts and stopped servers, or all busy on the CPU), and two workers
    walking the same modules side by side left both CPUs 70% idle for half a minute.
    """
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    quick = [item for item in items if item.get_closest_marker("slow") is None]
    ordered: list[pytest.Item] = []
    for worker in range(workers):
        share = slow[worker::workers]
        ordered += (share[::-1] if worker % 2 else share) + quick[worker::workers]
    return ordered


def _params(item: pytest.Item) -> dict[str, object]:
    callspec = getattr(item, "callspec", None)
    return {} if callspec is None else dict(callspec.params)
