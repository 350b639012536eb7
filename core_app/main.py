"""Build the Core app: the shared contract plus this package's routes."""

from __future__ import annotations

from fastapi import FastAPI

from core_app.routes import router
from todo_contract.app import API_DESCRIPTION, API_VERSION, database_lifespan, install_contract
from todo_contract.settings import Settings

TITLE = "Todo API (SQLAlchemy Core, hand-written SQL)"


def create_app(
    database_url: str, *, migrate: bool = True, settings: Settings | None = None
) -> FastAPI:
    """The Core app serving ``database_url``; migrates the schema on start unless told not to."""
    app = FastAPI(
        title=TITLE,
        version=API_VERSION,
        description=API_DESCRIPTION,
        lifespan=database_lifespan(database_url, migrate=migrate, settings=settings or Settings()),
    )
    install_contract(app)
    app.include_router(router)
    return app
