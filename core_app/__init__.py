"""The todo API on SQLAlchemy Core with hand-written SQL in ``text()`` statements."""

from core_app.main import create_app

__all__ = ["create_app"]
