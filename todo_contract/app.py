"""The parts of an app that are not its data layer: lifespan, errors, body limit, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import APIRouter, FastAPI, Request

from todo_contract import health
from todo_contract.admission import Admission
from todo_contract.async_database import open_async_database
from todo_contract.body_limit import BodySizeLimit
from todo_contract.database import open_database
from todo_contract.docs import install_docs
from todo_contract.errors import install_error_handlers
from todo_contract.head import HeadAsGet
from todo_contract.migrate import prepare
from todo_contract.request_log import RequestLog
from todo_contract.routing import UNAVAILABLE
from todo_contract.settings import Settings
from todo_contract.variants import Style

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

API_DESCRIPTION = (
    "A todo list API. The same contract is served by an app on the SQLAlchemy ORM and by an app "
    "on hand-written SQL; apart from this title their OpenAPI documents are identical."
)
API_VERSION = "1.0.0"


def database_lifespan(
    database_url: str, *, migrate: bool, settings: Settings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that opens the database, migrates (or checks) the schema, and disposes it.

    The handle (``todo_contract.database.Database``: engine, write view, SQLite file guard)
    lives in ``app.state.database``, the one thing a request's dependency reads.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = open_database(database_url, settings)
        try:
            prepare(database, migrate=migrate)
            app.state.database = database
            yield
        finally:
            database.dispose()

    return lifespan


def async_database_lifespan(
    database_url: str, *, migrate: bool, settings: Settings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of the asyncio flavour: the schema is migrated (or checked) by the sync
    code above, with the sync driver, in a worker thread, before the async handle opens.

    Alembic stays synchronous: the tutorial's adoption, the upgrade and the drift check are
    the sync apps' code to the line, and nothing is served until they are done, so a thread
    costs nothing. ``app.state.database`` is then a ``todo_contract.async_database``
    ``AsyncDatabase``.
    """

    def prepare_with_sync_driver() -> None:
        database = open_database(database_url, settings)
        try:
            prepare(database, migrate=migrate)
        finally:
            database.dispose()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(prepare_with_sync_driver)
        database = open_async_database(database_url, settings)
        try:
            app.state.database = database
            yield
        finally:
            await database.dispose()

    return lifespan


def writes(request: Request) -> bool:
    """Whether a request may write (POST/PUT/PATCH/DELETE): it then gets the write view."""
    return request.method in WRITE_METHODS


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """From the outside in: request id and access log, admission, the 413 body limit, HEAD.

    Admission sits inside the request log, so a request refused for lack of a connection is
    still logged with its id.
    """
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(
        Admission,
        limit=settings.pool_size + settings.pool_max_overflow,
        timeout=settings.queue_timeout,
    )
    app.add_middleware(RequestLog)


def install_contract(app: FastAPI, settings: Settings, style: Style = "sync") -> None:
    """Everything the apps serve identically: error responses, middleware, /health (checked
    with the app's own driver, sync or async)."""
    install_error_handlers(app)
    install_middleware(app, settings)
    app.include_router(health.router if style == "sync" else health.async_router)


def build_app(
    title: str,
    router: APIRouter,
    database_url: str,
    *,
    migrate: bool = True,
    settings: Settings | None = None,
    style: Style = "sync",
) -> FastAPI:
    """An app serving ``router`` under the contract, with the database lifespan of its
    ``style``: a ``Database`` for sync routes, an ``AsyncDatabase`` for async ones."""
    settings = settings or Settings()
    lifespan = database_lifespan if style == "sync" else async_database_lifespan
    app = FastAPI(
        title=title,
        version=API_VERSION,
        description=API_DESCRIPTION,
        lifespan=lifespan(database_url, migrate=migrate, settings=settings),
        docs_url=None,  # served from local files by install_docs, not from a CDN
        redoc_url=None,
    )
    install_docs(app)
    install_contract(app, settings, style)
    app.include_router(router, responses=UNAVAILABLE)
    return app
