"""The registry: named operations, and the rungs of the ladder that implement them.

Like SQLAlchemy's ``examples/performance``, each implementation is a small decorated function
with a docstring saying what it shows, and the rungs of one operation sit side by side:

    @implements("orm", "get_one")
    def get_one(bench: BenchDatabase, todo_id: int) -> TodoRead:
        \"\"\"orm_app.repository.get_todo in a Session of its own, as a request does.\"\"\"

An implementation performs the operation once, on its own connection or Session (checked out
from the pool and returned, as each request does), and returns what the data layer returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Implementation = Callable[..., Any]


@dataclass(frozen=True)
class Operation:
    """Something a client of the API does, measured on every rung that implements it."""

    name: str
    description: str
    http: tuple[str, str] | None  # (method, path template) at the HTTP layers; None: no endpoint


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("get_one", "get one todo by id", ("GET", "/todos/{id}")),
        Operation("list_20", "list 20 todos", ("GET", "/todos?limit=20")),
        Operation("list_1000", "list 1000 todos", ("GET", "/todos?limit=1000")),
        Operation(
            "list_completed",
            "list 20 completed todos (filtered)",
            ("GET", "/todos?completed=true&limit=20"),
        ),
        Operation("count", "count total/completed/pending", ("GET", "/todos/count")),
        Operation("create", "create one todo", ("POST", "/todos")),
        Operation("update", "PATCH one field of one todo", ("PATCH", "/todos/{id}")),
        Operation("delete", "delete one todo", ("DELETE", "/todos/{id}")),
        Operation("seed_1000", "insert 1000 todos in one transaction", None),
    )
}


@dataclass
class Rung:
    """One rung of the ladder: a way of doing the operations, and what it changes."""

    name: str
    description: str
    baseline: str | None  # the rung its ratios are taken against
    implementations: dict[str, Implementation] = field(default_factory=dict)


RUNGS: dict[str, Rung] = {}


def rung(name: str, description: str, *, baseline: str | None) -> Rung:
    """Declare a rung (once, in the module that implements it)."""
    if name in RUNGS:
        raise ValueError(f"rung {name!r} declared twice")
    RUNGS[name] = Rung(name, description, baseline)
    return RUNGS[name]


def implements(rung_name: str, operation: str) -> Callable[[Implementation], Implementation]:
    """Register ``function`` as how ``rung_name`` performs ``operation``."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")

    def register(function: Implementation) -> Implementation:
        RUNGS[rung_name].implementations[operation] = function
        return function

    return register


def load_rungs() -> dict[str, Rung]:
    """Import every rung module (which registers its implementations) and return the rungs."""
    from benchmarks.rungs import core, orm, orm_variants, raw  # noqa: F401

    return RUNGS
