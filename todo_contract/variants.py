"""The registry of variants: every app that serves the contract, declared once.

A variant is one way of writing the same API: its family (the ORM or hand-written SQL), its
style (sync or asyncio), the package that holds its ``main.create_app``, ``db.py``
and ``repository.py``, the command that serves it, its chart colour and the variant its
ratios are taken against. The contract suite parametrizes every app test over
``variants()``; the benchmark builds its data-layer rungs, in-process apps, servers, profiles,
charts, targets and report from the same entries. Adding a variant is its own package plus
one ``register(Variant(...))`` here, as SQLAlchemy adds a dialect to its registry.

Entries name their code by import path, not by object, so that reading the registry imports
no app (and ``todo_contract``, which every app imports, does not import them back).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any, Literal

from fastapi import FastAPI

Family = Literal["orm", "sql"]
Style = Literal["sync", "async"]


@dataclass(frozen=True)
class Variant:
    """One app that serves the contract, and how the suite and the benchmark reach it."""

    name: str
    """Short name used in test ids, benchmark rungs and reports (``orm``, ``core``)."""
    family: Family
    """``orm``: the SQLAlchemy ORM; ``sql``: hand-written SQL on SQLAlchemy Core."""
    style: Style
    package: str
    """The package holding ``main.create_app``, ``db.open_unit`` and ``repository``."""
    serve: tuple[str, ...]
    """What follows ``python -m`` to serve it (module, then flags)."""
    colour: str
    """Its colour in every chart (a matplotlib colour name)."""
    baseline: str | None
    """The variant its ratios are taken against; None: the floor (or the raw driver)."""
    description: str

    def create_app(self, database_url: str, **options: Any) -> FastAPI:
        """``<package>.main.create_app(database_url, **options)``."""
        factory: Callable[..., FastAPI] = self.module("main").create_app
        return factory(database_url, **options)

    def module(self, name: str) -> ModuleType:
        """One of the variant's modules (``main``, ``db``, ``repository``), imported on demand."""
        return import_module(f"{self.package}.{name}")

    def command(self, *args: str) -> list[str]:
        """The command line that serves the variant with ``args`` appended."""
        return [sys.executable, "-m", *self.serve, *args]


_VARIANTS: dict[str, Variant] = {}


def register(variant: Variant) -> Variant:
    """Add ``variant`` to the registry (its name must be new, its baseline known)."""
    if variant.name in _VARIANTS:
        raise ValueError(f"variant {variant.name!r} is registered already")
    if variant.baseline is not None and variant.baseline not in _VARIANTS:
        raise ValueError(f"variant {variant.name!r}: unknown baseline {variant.baseline!r}")
    _VARIANTS[variant.name] = variant
    return variant


def unregister(name: str) -> None:
    """Remove a variant (for tests that register a throwaway one)."""
    del _VARIANTS[name]


@contextmanager
def registered(variant: Variant) -> Iterator[Variant]:
    """``variant`` registered for the duration of a ``with`` block."""
    register(variant)
    try:
        yield variant
    finally:
        unregister(variant.name)


def variants(*, style: Style | None = None) -> list[Variant]:
    """The registered variants in registration order, optionally of one style."""
    return [v for v in _VARIANTS.values() if style is None or v.style == style]


def variant(name: str) -> Variant:
    """The variant called ``name``; a KeyError lists the known names."""
    try:
        return _VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown variant {name!r}; known: {', '.join(_VARIANTS)}") from None


register(
    Variant(
        name="core",
        family="sql",
        style="sync",
        package="core_app",
        serve=("core_app",),
        colour="tab:blue",
        baseline=None,
        description="hand-written SQL in text() on SQLAlchemy Core, a Connection per request",
    )
)
register(
    Variant(
        name="orm",
        family="orm",
        style="sync",
        package="orm_app",
        serve=("orm_app",),
        colour="tab:orange",
        baseline="core",
        description="the SQLAlchemy ORM: select() and a Session per request",
    )
)
register(
    Variant(
        name="core-async",
        family="sql",
        style="async",
        package="core_app.aio",
        serve=("core_app", "--async"),
        colour="tab:cyan",
        baseline="core",
        description="the Core app on asyncio: the same text() SQL on an AsyncConnection per "
        "request, async def endpoints",
    )
)
register(
    Variant(
        name="orm-async",
        family="orm",
        style="async",
        package="orm_app.aio",
        serve=("orm_app", "--async"),
        colour="tab:red",
        baseline="core-async",
        description="the ORM app on asyncio: the same select() on an AsyncSession per request, "
        "async def endpoints",
    )
)
