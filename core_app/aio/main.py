"""Build the async Core app: the shared contract plus this package's routes."""

from __future__ import annotations

from fastapi import FastAPI

from core_app.aio.routes import router
from todo_contract.app import build_app
from todo_contract.settings import Settings

TITLE = "Todo API (SQLAlchemy Core, hand-written SQL, asyncio)"


def create_app(
    database_url: str, *, migrate: bool = True, settings: Settings | None = None
) -> FastAPI:
    """The async Core app serving ``database_url``; the lifespan migrates the schema with the
    sync driver (unless ``migrate=False``), then opens the async engine and disposes it on
    shutdown."""
    return build_app(TITLE, router, database_url, migrate=migrate, settings=settings, style="async")
