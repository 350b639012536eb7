"""The todo API on the SQLAlchemy ORM: a mapped ``Todo`` class, ``select()`` and a Session."""

from orm_app.main import create_app

__all__ = ["create_app"]
