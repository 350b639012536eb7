"""The todo API on the SQLAlchemy ORM: a mapped ``Todo`` class, ``select()`` and a Session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orm_app.main import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """``orm_app.create_app``, imported on first use: ``python -m orm_app`` imports this
    package first, and must not import the app before it has checked what serving needs."""
    if name == "create_app":
        from orm_app.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
