"""Path and query parameters of the todo routes, declared once for both apps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 2**63 - 1
MAX_OFFSET = 2**63 - 1


class TodoIdSegment(Convertor[str]):
    """Matches any path segment except ``count``.

    ``/todos/{todo_id}`` must match ``/todos/abc`` (so that a bad id is a 422 from validation,
    not a 404), but not ``/todos/count``: otherwise ``PUT /todos/count`` would reach the
    ``{todo_id}`` route and answer 422 instead of the contract's 405.
    """

    regex = r"(?!count/?$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


register_url_convertor("todo_id", TodoIdSegment())

TODO_PATH = "/{todo_id:todo_id}"

TodoId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="the todo's id, an integer in 1 … 2^63-1")
]


@dataclass(frozen=True, slots=True)
class TodoFilter:
    """Which todos ``GET /todos`` returns."""

    completed: bool | None
    limit: int
    offset: int


def todo_filter(
    completed: Annotated[
        Literal["true", "false"] | None,
        Query(description="only completed (true) or pending (false) todos"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many todos")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many first")] = 0,
) -> TodoFilter:
    """Parse the list query; ``completed`` takes exactly ``true`` or ``false``."""
    return TodoFilter(
        completed=None if completed is None else completed == "true",
        limit=limit,
        offset=offset,
    )


TodoFilterDep = Annotated[TodoFilter, Depends(todo_filter)]
