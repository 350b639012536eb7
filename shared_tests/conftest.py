"""Fixtures of the contract suite: every test runs for each app on each selected backend.

Select backends with ``--backend sqlite,postgresql,mariadb`` (default: all three, or the
``TODO_TEST_BACKENDS`` environment variable). A selected server that does not answer fails
the run at once, with the command that starts it; nothing is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import core_app
import orm_app
from shared_tests.backends import fresh_database, selected_backends, unreachable_reason

AppFactory = Callable[..., FastAPI]
APPS: dict[str, AppFactory] = {"orm": orm_app.create_app, "core": core_app.create_app}
BACKENDS_KEY = pytest.StashKey[list[str]]()


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
        metafunc.parametrize("app_kind", list(APPS))
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", metafunc.config.stash[BACKENDS_KEY])


@pytest.fixture
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker running this test (``main`` without xdist)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture
def database_url(backend: str, tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A new, empty database on the backend under test, dropped after the test."""
    with fresh_database(backend, tmp_path, worker_id) as url:
        yield url


@pytest.fixture
def create_app(app_kind: str) -> AppFactory:
    """``orm_app.create_app`` or ``core_app.create_app``."""
    return APPS[app_kind]


@pytest.fixture
def app(create_app: AppFactory, database_url: str) -> FastAPI:
    """The app under test, on its own fresh database."""
    return create_app(database_url)


def assert_no_checked_out_connections(app: FastAPI) -> None:
    """Every Session/Connection a request took must be back in the pool."""
    checked_out = app.state.engine.pool.checkedout()
    assert checked_out == 0, f"{checked_out} connection(s) still checked out: a request leaked"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process HTTP client (lifespan started), checked for leaked connections after."""
    with TestClient(app) as test_client:
        yield test_client
        assert_no_checked_out_connections(app)
