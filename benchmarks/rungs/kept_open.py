"""Per statement: each variant's repository calls on one Connection or Session kept open.

A request pays once for its unit of work — the pool checkout, the Session, begin, commit or
rollback, close — and then for each statement it sends. The variant's own rung opens a unit
per call, as a request does; this rung (``<variant>+kept_open``, measured against it) makes
the same repository calls on one unit opened at the first call of a sample and closed after
the sample (not timed), as SQLAlchemy's own ``examples/performance/short_selects.py`` reuses
one Connection or one Session across its calls. So the variant's time minus this one, per
repeat, is what the unit's lifecycle costs a request.

Reads only, get_one and the list series: a write's commit belongs to each call (a unit kept
open across writes would be one long transaction, not the same statements). The statements
are the variant's: the Session's identity map holds its objects weakly, and the repository
keeps none, so a ``session.get`` still sends its SELECT (the query-count gate checks it
against the variant).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from benchmarks.database import BenchDatabase
from benchmarks.ladder import sync_variants
from benchmarks.registry import OPERATIONS, Implementation, Operation, Rung, series_operations
from todo_contract.variants import Variant

KNOB = "kept_open"
KEPT_OPERATIONS = ("get_one",)
"""Besides the list series: the single-row read SQLAlchemy's short_selects measures. The other
reads (count, a filtered list) would cost the default profile time and say nothing new."""
DESCRIPTION = (
    "the same repository calls on one Connection/Session kept open across a sample's calls "
    "(as SQLAlchemy's short_selects does): the statement without the unit's lifecycle"
)


def kept_rung_name(variant: str) -> str:
    """``core+kept_open``: the kept-open rung of ``variant``."""
    return f"{variant}+{KNOB}"


def _key(variant: str) -> str:
    return f"{variant}+{KNOB} unit"


def release(variant: str) -> Callable[[BenchDatabase], None]:
    """Close the unit kept for ``variant`` (after a sample; untimed), if one is open."""

    def close(bench: BenchDatabase) -> None:
        unit = bench.resources.pop(_key(variant), None)
        if unit is not None:
            unit.close()

    return close


def kept(variant: Variant, operation: Operation) -> Implementation:
    """``operation`` through the variant's repository on the unit kept open (opened by the
    first call after a release)."""
    open_unit = variant.module("db").open_unit
    repository: ModuleType = variant.module("repository")
    call = operation.repository
    assert call is not None
    key = _key(variant.name)
    closer = release(variant.name)

    def perform(bench: BenchDatabase, argument: Any) -> Any:
        unit = bench.resources.get(key)
        if unit is None:
            unit = open_unit(bench.database, write=False)
            bench.resources[key] = unit
            if not bench.resources.get(f"{key} closer"):
                # for callers that never release (counting, profiling): closed with the database
                bench.resources[f"{key} closer"] = True
                bench.closers.append(lambda: closer(bench))
        return call(repository, unit, argument)

    perform.__doc__ = f"{repository.__name__}, {operation.description}, on a unit kept open"
    return perform


def kept_open_rungs() -> list[Rung]:
    """One kept-open rung per measured sync variant: get_one and every size of the list
    series (the async variants have none: the lifecycle question is the sync ladder's)."""
    rungs = []
    for variant in sync_variants():
        implementations = {
            name: kept(variant, OPERATIONS[name])
            for name in (*KEPT_OPERATIONS, *series_operations("list"))
        }
        rungs.append(
            Rung(
                kept_rung_name(variant.name),
                DESCRIPTION,
                variant.name,
                implementations,
                after_sample=release(variant.name),
            )
        )
    return rungs
