"""Fixtures of the contract suite: every test runs for each app on each selected backend.

The ``app_kind`` (a registered variant's name) and ``backend`` parameters come from
``shared_tests.plugin``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared_tests.templates import Templates, empty_database
from todo_contract.variants import variant

AppFactory = Callable[..., FastAPI]


@pytest.fixture
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker running this test (``main`` without xdist)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """This worker's migrated templates, one per backend, made on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    made = Templates(tmp_path_factory.mktemp("templates"), worker)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, templates: Templates) -> Iterator[str]:
    """A database at the latest revision on the backend under test, this test's own copy.

    The app's lifespan still runs the migrations on it, which find nothing to do; tests of
    the migration path itself take ``empty_database_url``.
    """
    with templates.copy(backend, tmp_path) as url:
        yield url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A new database with no tables at all, dropped after the test."""
    with empty_database(backend, tmp_path, worker_id) as url:
        yield url


@pytest.fixture
def create_app(app_kind: str) -> AppFactory:
    """The ``create_app`` of the variant under test."""
    return variant(app_kind).create_app


@pytest.fixture
def app(create_app: AppFactory, database_url: str) -> FastAPI:
    """The app under test, on its own fresh database."""
    return create_app(database_url)


def assert_no_checked_out_connections(app: FastAPI) -> None:
    """Every Session/Connection a request took must be back in the pool."""
    checked_out = app.state.database.engine.pool.checkedout()
    assert checked_out == 0, f"{checked_out} connection(s) still checked out: a request leaked"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process HTTP client (lifespan started), checked for leaked connections after."""
    with TestClient(app) as test_client:
        yield test_client
        assert_no_checked_out_connections(app)
