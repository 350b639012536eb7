"""The registry: named operations with every fact about them, and the rungs of the ladder.

An ``Operation`` is declared once, here, and every layer reads it: the data layer its
arguments, its clean-up and how a variant's repository performs it; the in-process and
over-the-wire layers its HTTP request and expected status; the instruction counts and the
load runs whether it is heavy (a thousand rows); the breakdown how many calls to profile.

A ``Rung`` is a way of performing the operations at the data layer. The registered variants
(``todo_contract.variants``) each get one, built from their own ``db.open_unit`` and
``repository`` (``benchmarks.rungs.variants``); the raw driver and the ORM knobs are the
benchmark's own (``benchmarks.rungs.raw``, ``benchmarks.rungs.knobs``). An implementation
performs the operation once, on its own connection or Session (checked out from the pool and
returned, as each request does), and returns what the data layer returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal, NamedTuple

from benchmarks import workloads
from benchmarks.counting import StatementCounter
from benchmarks.database import BenchDatabase

Implementation = Callable[..., Any]
RepositoryCall = Callable[[ModuleType, Any, Any], Any]
"""How an operation calls a variant's repository: (repository module, unit, argument)."""
Series = Literal["list", "insert"]
"""A size series: lists of N rows (``GET /todos?limit=N``), or N rows inserted in one
transaction (no endpoint: the API creates one todo per request)."""
SERIES: tuple[Series, ...] = ("list", "insert")


class Request(NamedTuple):
    """One HTTP request: method, path with query, JSON body or None."""

    method: str
    path: str
    body: bytes | None


@dataclass(frozen=True)
class Http:
    """An operation's endpoint: what to send and what must come back."""

    method: str
    path: str
    """The path template; ``{id}`` stands for the todo the request names."""
    ids: Literal["none", "hot", "fresh", "fresh_tagged"] = "none"
    """Which todos requests name: none, the hot seeded ones, or rows made for them (DELETE;
    ``fresh_tagged``: each carrying two tags, for a replacement of its tags; an app with no
    database, the floor, gets hot ids instead)."""
    payload: Callable[[int], dict[str, Any]] | None = None
    """The JSON body of the ``n``-th request, or None for no body."""
    expected_status: int = 200

    def body(self, index: int) -> bytes | None:
        """The encoded body of the ``index``-th request."""
        if self.payload is None:
            return None
        return json.dumps(self.payload(index), separators=(",", ":")).encode()

    def paths(self, bench: BenchDatabase, count: int, *, has_database: bool) -> list[str]:
        """``count`` paths (rows made first when the requests delete them)."""
        if self.ids == "none":
            return [self.path] * count
        if self.ids in ("fresh", "fresh_tagged") and has_database:
            ids = workloads.rows_to_delete(bench, count, tagged=self.ids == "fresh_tagged")
        else:
            ids = workloads.hot_ids(bench, count)
        return [self.path.format(id=todo_id) for todo_id in ids]

    def requests(self, bench: BenchDatabase, count: int, *, has_database: bool) -> list[Request]:
        """The ``count`` requests that perform the operation ``count`` times."""
        paths = self.paths(bench, count, has_database=has_database)
        return [Request(self.method, path, self.body(n)) for n, path in enumerate(paths)]


@dataclass(frozen=True)
class Operation:
    """Something a client of the API does, measured on every rung that implements it."""

    name: str
    description: str
    arguments: Callable[[BenchDatabase, int], list[Any]]
    """Makes ``count`` arguments for the data-layer rungs (untimed)."""
    repository: RepositoryCall | None = None
    """How a variant's repository performs it; None: no repository function (per family)."""
    writes: bool = False
    """Opens its unit of work for writing (``open_unit(..., write=True)``)."""
    adds_rows: bool = False
    """Leaves rows behind that are deleted after each sample."""
    http: Http | None = None
    """Its endpoint; None: the API has none (no in-process or over-the-wire figure)."""
    heavy: bool = False
    """A thousand rows per call: fewer per instruction-count segment, a longer load window."""
    profile_calls: int = 0
    """Calls cProfile makes for the breakdown of where the time goes; 0: not profiled."""
    series: Series | None = None
    """The size series it belongs to: its times are fitted against ``rows`` together with
    the other operations of the series (``benchmarks.curves``); None: in no series."""
    rows: int = 0
    """Rows one call returns or inserts: the x of the series' fit."""
    returns_todos: bool = False
    """Returns todos with their tags (a get, a list, an update): the ORM loads the tags with
    a SELECT of their own (``benchmarks.rungs.variants.tag_loading_statements``)."""


def _created(index: int) -> dict[str, Any]:
    return {"title": f"created over HTTP {index}", "priority": 1}


def _patched(index: int) -> dict[str, Any]:
    return {"priority": index % 7}


def _created_tagged(index: int) -> dict[str, Any]:
    return {"title": f"created over HTTP {index}", "priority": 1, "tags": workloads.tag_set(index)}


def _retagged(index: int) -> dict[str, Any]:
    return {"tags": workloads.tag_set(index + 1)}


def _list(rows: int, *, heavy: bool = False, profile_calls: int = 0) -> Operation:
    """``list_<rows>``: the first ``rows`` todos, a point of the list series."""
    query = workloads.list_filter(rows)
    return Operation(
        f"list_{rows}",
        f"list {rows} todo" + ("s" if rows > 1 else ""),
        workloads.nothing,
        lambda repository, unit, _: repository.list_todos(unit, query),
        http=Http("GET", f"/todos?limit={rows}"),
        heavy=heavy,
        profile_calls=profile_calls,
        series="list",
        rows=rows,
        returns_todos=True,
    )


def _insert(name: str, rows: int, *, heavy: bool = False) -> Operation:
    """``rows`` todos inserted in one transaction, a point of the insert series (no
    repository function and no endpoint: implemented per family, see ``rungs.variants``)."""
    return Operation(
        name,
        f"insert {rows} todo{'s' if rows > 1 else ''} in one transaction",
        workloads.batches_of(rows),
        writes=True,
        adds_rows=True,
        heavy=heavy,
        series="insert",
        rows=rows,
    )


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "get_one",
            "get one todo by id",
            workloads.hot_ids,
            lambda repository, unit, todo_id: repository.get_todo(unit, todo_id),
            http=Http("GET", "/todos/{id}", ids="hot"),
            profile_calls=400,
            returns_todos=True,
        ),
        _list(1),
        _list(10),
        _list(20, profile_calls=200),
        _list(100),
        _list(1000, heavy=True, profile_calls=12),
        Operation(
            "list_completed",
            "list 20 completed todos (filtered)",
            workloads.nothing,
            lambda repository, unit, _: repository.list_todos(unit, workloads.LIST_COMPLETED),
            http=Http("GET", "/todos?completed=true&limit=20"),
            returns_todos=True,
        ),
        Operation(
            "count",
            "count total/completed/pending",
            workloads.nothing,
            lambda repository, unit, _: repository.count_todos(unit),
            http=Http("GET", "/todos/count"),
        ),
        Operation(
            "create",
            "create one todo",
            workloads.new_todos,
            lambda repository, unit, data: repository.create_todo(unit, data),
            writes=True,
            adds_rows=True,
            http=Http("POST", "/todos", payload=_created, expected_status=201),
        ),
        Operation(
            "update",
            "PATCH one field of one todo",
            workloads.updates,
            lambda repository, unit, change: repository.update_todo(unit, *change),
            writes=True,
            http=Http("PATCH", "/todos/{id}", ids="hot", payload=_patched),
            returns_todos=True,
        ),
        Operation(
            "delete",
            "delete one todo",
            workloads.rows_to_delete,
            lambda repository, unit, todo_id: repository.delete_todo(unit, todo_id),
            writes=True,
            adds_rows=True,
            http=Http("DELETE", "/todos/{id}", ids="fresh", expected_status=204),
        ),
        Operation(
            "list_by_tag",
            "list 20 todos carrying a tag (filtered)",
            workloads.nothing,
            lambda repository, unit, _: repository.list_todos(unit, workloads.LIST_BY_TAG),
            http=Http("GET", f"/todos?tag={workloads.FILTER_TAG}&limit=20"),
            returns_todos=True,
        ),
        Operation(
            "tag_counts",
            "list the tags with how many todos carry each",
            workloads.nothing,
            lambda repository, unit, _: repository.list_tags(unit, workloads.TAG_PAGE),
            http=Http("GET", "/tags"),
        ),
        Operation(
            "create_tagged",
            "create one todo with 3 tags",
            workloads.new_tagged_todos,
            lambda repository, unit, data: repository.create_todo(unit, data),
            writes=True,
            adds_rows=True,
            http=Http("POST", "/todos", payload=_created_tagged, expected_status=201),
        ),
        Operation(
            "replace_tags",
            "replace a todo's 2 tags with 3 others (PATCH tags)",
            workloads.tag_replacements,
            lambda repository, unit, change: repository.update_todo(unit, *change),
            writes=True,
            adds_rows=True,
            http=Http("PATCH", "/todos/{id}", ids="fresh_tagged", payload=_retagged),
            returns_todos=True,
        ),
        _insert("insert_1", 1),
        _insert("insert_10", 10),
        _insert("insert_100", 100),
        _insert("seed_1000", workloads.SEED_ROWS, heavy=True),
    )
}

HTTP_OPERATIONS = tuple(name for name, op in OPERATIONS.items() if op.http is not None)
"""The operations the API has an endpoint for, in registry order."""
TAG_OPERATIONS = ("list_by_tag", "tag_counts", "create_tagged", "replace_tags")
"""The operations only tags have (the lists of every size return tags too): measured by the
``relationships`` and ``full`` profiles, not by the default one."""


def series_operations(series: Series) -> tuple[str, ...]:
    """The operations of a size series, by rising ``rows``."""
    members = [op for op in OPERATIONS.values() if op.series == series]
    return tuple(op.name for op in sorted(members, key=lambda op: op.rows))


@dataclass(frozen=True)
class ExtraStatements:
    """A rung's declaration that, on one operation, it sends more SQL statements than its
    baseline rung — on purpose, because that is what the code it stands for does.

    The query-count gate (``benchmarks.gates.query_count_gate``) fails a rung that sends more
    statements than its baseline on an operation without such a declaration, or more than
    ``at_most`` extra: a timing that does more work is not the cost of the same work.
    """

    at_most: int
    """How many more statements per operation than the baseline it may send."""
    why: str
    """What the code does that sends them (shown in the gate's detail)."""


@dataclass
class Rung:
    """One rung of the ladder: a way of doing the operations, and what it changes."""

    name: str
    description: str
    baseline: str | None  # the rung its ratios are taken against
    implementations: dict[str, Implementation] = field(default_factory=dict)
    extra_statements: dict[str, ExtraStatements] = field(default_factory=dict)
    """Per operation, the statements it sends beyond its baseline's, declared (see above)."""
    after_sample: Callable[[BenchDatabase], None] | None = None
    """Called after each timed sample (untimed): a rung that keeps its unit of work open
    across a sample's calls closes it here (``benchmarks.rungs.kept_open``)."""
    awaits: bool = False
    """Its implementations are coroutine functions (the asyncio rungs): they are awaited on
    the benchmark database's event loop, a batch of calls per sample
    (``benchmarks.awaiting``)."""
    backends: tuple[str, ...] | None = None
    """The backends it runs on; None: every one (``raw-async+psycopg``: PostgreSQL only)."""
    counting: Callable[[BenchDatabase], AbstractContextManager[StatementCounter]] | None = None
    """How its statements are counted; None: on the benchmark database's engine
    (``benchmarks.counting.counting_engine``). The raw rungs count at their cursors, the async
    rungs on their async engine's sync core."""

    def runs_on(self, backend: str) -> bool:
        """True when the rung is measured on ``backend``."""
        return self.backends is None or backend in self.backends


RUNGS: dict[str, Rung] = {}
"""The rungs declared once at import (the raw driver); variant and knob rungs are built from
the variant registry by ``load_rungs``."""


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
    """Every rung in ladder order: the raw drivers (sync, then async:
    ``benchmarks.rungs.raw_async``), one per registered variant, the knobs, the loading
    strategies (``benchmarks.rungs.loading``), each sync variant's kept-open rung
    (``benchmarks.rungs.kept_open``), then the async variants' psycopg knob (PostgreSQL).

    Built at each call from the variant registry, so a variant registered since is measured.
    """
    from benchmarks.rungs import raw, raw_async  # noqa: F401  (register the raw rungs)
    from benchmarks.rungs.kept_open import kept_open_rungs
    from benchmarks.rungs.knobs import async_knob_rungs, knob_rungs
    from benchmarks.rungs.loading import loading_rungs
    from benchmarks.rungs.variants import variant_rungs

    rungs = dict(RUNGS)
    built_rungs = (
        *variant_rungs(),
        *knob_rungs(),
        *loading_rungs(),
        *kept_open_rungs(),
        *async_knob_rungs(),
    )
    for built in built_rungs:
        rungs[built.name] = built
    return rungs
