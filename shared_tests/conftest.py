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

from shared_tests.app_database import pool_of
from shared_tests.served_apps import ServedApps, refuse_mixed_clients
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
    checked_out = pool_of(app).checkedout()
    assert checked_out == 0, f"{checked_out} connection(s) still checked out: a request leaked"


@pytest.fixture
def app_client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process HTTP client on this test's own ``app`` (lifespan started), checked for
    leaked connections after."""
    with TestClient(app) as test_client:
        yield test_client
        assert_no_checked_out_connections(app)


@pytest.fixture(scope="session")
def served_apps(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApps]:
    """This worker's running apps, one per variant and backend (``shared_tests.served_apps``)."""
    apps = ServedApps(templates, tmp_path_factory.mktemp("served"))
    try:
        yield apps
    finally:
        apps.close()


@pytest.fixture
def client(
    request: pytest.FixtureRequest, served_apps: ServedApps, app_kind: str, backend: str
) -> Iterator[TestClient]:
    """An in-process HTTP client on the variant under test, on an empty database at the head
    revision whose ids start at 1, checked for leaked connections after.

    The app is this worker's running one for the variant and backend, emptied before the test
    (``shared_tests.served_apps``). A test that also takes ``app`` or ``database_url`` would
    get another app and database than this client's, so that is refused: it takes
    ``app_client``.
    """
    refuse_mixed_clients(request.node.nodeid, request.fixturenames)
    served = served_apps.get(app_kind, backend)
    yield served.client
    assert_no_checked_out_connections(served.app)
