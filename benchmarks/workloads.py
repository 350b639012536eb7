"""The arguments each operation is measured with, and the clean-up that keeps runs alike.

Every rung of an operation gets the same kind of arguments, and the table keeps its seeded
size between samples: rows a sample adds are deleted after it, rows a delete sample removes
are inserted before it (neither is timed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle, islice
from typing import Any

from sqlalchemy import insert, select

from benchmarks.database import BenchDatabase
from todo_contract.clock import utc_now
from todo_contract.schemas import TodoCreate
from todo_contract.table import todos

HOT_IDS = 50
"""get_one and update cycle over this many seeded todos (small enough to stay cached)."""


@dataclass(frozen=True)
class Workload:
    """How to make ``count`` arguments for an operation, and whether to clean up after."""

    arguments: Callable[[BenchDatabase, int], list[Any]]
    adds_rows: bool = False


def hot_ids(bench: BenchDatabase, count: int = HOT_IDS) -> list[int]:
    """``count`` ids cycling over ``HOT_IDS`` seeded todos spread across the table."""
    step = max(1, len(bench.seeded_ids) // HOT_IDS)
    hot = bench.seeded_ids[::step][:HOT_IDS]
    return list(islice(cycle(hot), count))


def _nothing(_bench: BenchDatabase, count: int) -> list[Any]:
    return [None] * count


def _new_todos(bench: BenchDatabase, count: int) -> list[Any]:
    return [TodoCreate(title=bench.next_title(), priority=1) for _ in range(count)]


def _updates(bench: BenchDatabase, count: int) -> list[Any]:
    return [(todo_id, {"priority": n % 7}) for n, todo_id in enumerate(hot_ids(bench, count))]


def rows_to_delete(bench: BenchDatabase, count: int) -> list[Any]:
    """Insert ``count`` rows (untimed) and return their ids, for DELETEs to remove."""
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
        return list(ids)[-count:]


def _batches_of_1000(bench: BenchDatabase, count: int) -> list[Any]:
    return [_new_todos(bench, 1000) for _ in range(count)]


WORKLOADS: dict[str, Workload] = {
    "get_one": Workload(hot_ids),
    "list_20": Workload(_nothing),
    "list_1000": Workload(_nothing),
    "list_completed": Workload(_nothing),
    "count": Workload(_nothing),
    "create": Workload(_new_todos, adds_rows=True),
    "update": Workload(_updates),
    "delete": Workload(rows_to_delete, adds_rows=True),
    "seed_1000": Workload(_batches_of_1000, adds_rows=True),
}
