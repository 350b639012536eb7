"""The ``Todo`` class, mapped onto the shared ``todos`` table.

An ORM maps rows to objects: ``Todo`` instances are rows of ``todos``, their attributes are
its columns, and the Session tracks changes to them and writes them back as SQL on flush.
The table itself is defined once in ``todo_contract.table`` (the migrations build it); here
the annotations only state each attribute's Python type for the type checker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped

from todo_contract.table import metadata, todos


class Base(DeclarativeBase):
    """Declarative base sharing the contract's MetaData."""

    metadata = metadata


class Todo(Base):
    """One todo: a row of ``todos``."""

    __table__ = todos

    id: Mapped[int]
    title: Mapped[str]
    completed: Mapped[bool]
    priority: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
