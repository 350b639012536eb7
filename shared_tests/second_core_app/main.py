"""Build the throwaway variant: core_app's routes under another title."""

from __future__ import annotations

from fastapi import FastAPI

from core_app.routes import router
from todo_contract.app import build_app
from todo_contract.settings import Settings

TITLE = "Todo API (a second Core app, for tests)"


def create_app(
    database_url: str, *, migrate: bool = True, settings: Settings | None = None
) -> FastAPI:
    """The same app as ``core_app.create_app`` with another title."""
    return build_app(TITLE, router, database_url, migrate=migrate, settings=settings)
