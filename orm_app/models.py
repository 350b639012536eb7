"""The ``Todo`` and ``Tag`` classes, mapped onto the shared ``todos`` and ``tags`` tables.

An ORM maps rows to objects: ``Todo`` instances are rows of ``todos``, their attributes are
its columns, and the Session tracks changes to them and writes them back as SQL on flush.
The tables themselves are defined once in ``todo_contract.table`` (the migrations build them);
here the annotations only state each attribute's Python type for the type checker.

Tags are the API's one relationship, many-to-many through ``todo_tags``, mapped the way
SQLAlchemy's documentation shows it: a ``relationship()`` with ``secondary=`` holding ``Tag``
objects, and a read-only property presenting their names as the plain list the API returns.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from todo_contract.table import metadata, tags, todo_tags, todos


class Base(DeclarativeBase):
    """Declarative base sharing the contract's MetaData."""

    metadata = metadata


class Tag(Base):
    """One tag name: a row of ``tags``."""

    __table__ = tags

    id: Mapped[int]
    name: Mapped[str]


class Todo(Base):
    """One todo: a row of ``todos``, with its tags."""

    __table__ = todos

    id: Mapped[int]
    title: Mapped[str]
    completed: Mapped[bool]
    priority: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    tag_objects: Mapped[list[Tag]] = relationship(secondary=todo_tags, lazy="raise")
    """``lazy="raise"``: every query that needs the tags says how to load them
    (``orm_app.repository.load_tags``); touching them unloaded raises instead of quietly
    sending one SELECT per todo, the N+1 trap."""

    @property
    def tags(self) -> list[str]:
        """The tag names, as a list: what ``TodoRead.tags`` takes.

        A plain property, not ``association_proxy("tag_objects", "name")``: the proxy builds,
        for every todo it is read on, a small web of objects that refer to each other (its
        list view, a lazy collection, getters), about 27 objects per todo that only the cyclic
        garbage collector frees: 635 objects per request for a page of 20 against 84 with this
        property (``benchmarks/README.md``, "A crash of the ORM server"). Writes go through
        ``tag_objects`` as ``Tag`` objects; the names are read-only.
        """
        return [tag.name for tag in self.tag_objects]
