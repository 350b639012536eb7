"""The todo API on SQLAlchemy Core with hand-written SQL in ``text()`` statements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core_app.main import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """``core_app.create_app``, imported on first use: ``python -m core_app`` imports this
    package first, and must not import the app before it has checked what serving needs."""
    if name == "create_app":
        from core_app.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
