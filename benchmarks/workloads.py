"""The arguments operations are measured with, and the rows they need made beforehand.

Every rung of an operation gets the same kind of arguments, and the table keeps its seeded
size between samples: rows a sample adds are deleted after it, rows a delete sample removes
are inserted before it (neither is timed). Which builder an operation uses is written in its
``Operation`` record (``benchmarks.registry``).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import cycle, islice
from typing import Any

from sqlalchemy import insert, select

from benchmarks.database import TAG_NAMES, BenchDatabase
from todo_contract.clock import utc_now
from todo_contract.params import TagPage, TodoFilter
from todo_contract.schemas import TodoCreate
from todo_contract.table import tags, todo_tags, todos

HOT_IDS = 50
"""get_one and update cycle over this many seeded todos (small enough to stay cached)."""

LIST_20 = TodoFilter(completed=None, limit=20, offset=0)
LIST_1000 = TodoFilter(completed=None, limit=1000, offset=0)
LIST_COMPLETED = TodoFilter(completed=True, limit=20, offset=0)
FILTER_TAG = TAG_NAMES[7]
"""The tag ``list_by_tag`` filters on (about 50 seeded todos carry it)."""
LIST_BY_TAG = TodoFilter(completed=None, limit=20, offset=0, tag=FILTER_TAG)
TAG_PAGE = TagPage(limit=100, offset=0)
"""``GET /tags``: every one of the 50 seeded tags with its count."""
TAGS_PER_WRITE = 3
"""Tags a create or a replacement sends (seeded names: no new tag row per call)."""
LIST_SIZES = (1, 10, 20, 100, 1000)
"""The list lengths measured: list_20 and list_1000 for the ladder, all five for the cost
curve (``benchmarks.curves``): 1, 10, 100 and 1000 spread over three decades, 20 between."""
INSERT_SIZES = (1, 10, 100, 1000)
"""The rows inserted in one transaction by insert_1 … insert_100 and seed_1000."""


def list_filter(limit: int) -> TodoFilter:
    """The first ``limit`` todos, unfiltered: what ``GET /todos?limit=N`` asks for."""
    return TodoFilter(completed=None, limit=limit, offset=0)


def hot_ids(bench: BenchDatabase, count: int = HOT_IDS) -> list[int]:
    """``count`` ids cycling over ``HOT_IDS`` seeded todos spread across the table."""
    step = max(1, len(bench.seeded_ids) // HOT_IDS)
    hot = bench.seeded_ids[::step][:HOT_IDS]
    return list(islice(cycle(hot), count))


def nothing(_bench: BenchDatabase, count: int) -> list[Any]:
    """No argument: the operation reads the same thing every time."""
    return [None] * count


def new_todos(bench: BenchDatabase, count: int) -> list[Any]:
    """A fresh ``TodoCreate`` per call."""
    return [TodoCreate(title=bench.next_title(), priority=1) for _ in range(count)]


def tag_set(index: int) -> list[str]:
    """The ``index``-th set of ``TAGS_PER_WRITE`` seeded tag names (sorted)."""
    return sorted(TAG_NAMES[(index * 7 + step) % len(TAG_NAMES)] for step in range(3))


def new_tagged_todos(bench: BenchDatabase, count: int) -> list[Any]:
    """A fresh ``TodoCreate`` with three tags per call."""
    return [TodoCreate(title=bench.next_title(), priority=1, tags=tag_set(n)) for n in range(count)]


def tag_replacements(bench: BenchDatabase, count: int) -> list[Any]:
    """(id, {"tags": …}) pairs: fresh todos carrying two tags get three others."""
    ids = rows_to_delete(bench, count, tagged=True)
    return [(todo_id, {"tags": tag_set(n + 1)}) for n, todo_id in enumerate(ids)]


def updates(bench: BenchDatabase, count: int) -> list[Any]:
    """(id, changes) pairs: one field of a hot todo."""
    return [(todo_id, {"priority": n % 7}) for n, todo_id in enumerate(hot_ids(bench, count))]


def rows_to_delete(bench: BenchDatabase, count: int, *, tagged: bool = False) -> list[Any]:
    """Insert ``count`` rows (untimed) and return their ids, for DELETEs to remove (or, with
    ``tagged``, each carrying two seeded tags, for their tags to be replaced)."""
    now = utc_now()
    values = [
        {
            "title": bench.next_title(),
            "completed": False,
            "priority": 0,
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(count)
    ]
    with bench.write_engine.begin() as connection:
        connection.execute(insert(todos), values)
        ids = connection.execute(
            select(todos.c.id).where(todos.c.id > bench.seeded_ids[-1]).order_by(todos.c.id)
        ).scalars()
        made = list(ids)[-count:]
        if tagged and made:
            tag_ids = {
                row.name: row.id for row in connection.execute(select(tags.c.name, tags.c.id))
            }
            links = [
                {"todo_id": todo_id, "tag_id": tag_ids[name]}
                for n, todo_id in enumerate(made)
                for name in tag_set(n)[:2]
            ]
            connection.execute(insert(todo_tags), links)
        return made


SEED_ROWS = 1000
"""Rows ``seed_1000`` inserts in one transaction."""


def batches_of(rows: int) -> Callable[[BenchDatabase, int], list[Any]]:
    """The builder of ``count`` lists of ``rows`` fresh todos (one list per bulk insert)."""

    def batches(bench: BenchDatabase, count: int) -> list[Any]:
        return [new_todos(bench, rows) for _ in range(count)]

    batches.__doc__ = f"``count`` lists of {rows} fresh todos."
    return batches


batches_of_1000 = batches_of(SEED_ROWS)
