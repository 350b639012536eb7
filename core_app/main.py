"""Build the Core app: the shared contract plus this package's routes."""

from __future__ import annotations

from fastapi import FastAPI

from core_app.routes import router
from todo_contract.app import build_app
from todo_contract.settings import Settings

TITLE = "Todo API (SQLAlchemy Core, hand-written SQL)"


def create_app(
    database_url: str, *, migrate: bool = True, settings: Settings | None = None
) -> FastAPI:
    """The Core app serving ``database_url``; the lifespan opens the engine, migrates the
    schema (unless ``migrate=False``) and disposes the engine on shutdown."""
    return build_app(TITLE, router, database_url, migrate=migrate, settings=settings)
