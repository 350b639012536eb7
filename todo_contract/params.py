"""Path and query parameters of the todo routes, declared once for both apps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from pydantic import BeforeValidator
from starlette.convertors import Convertor, register_url_convertor

from todo_contract.event_loop import on_the_event_loop
from todo_contract.schemas import Tag

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

_DIGITS = re.compile(r"[0-9]+")


def _digits_only(value: object) -> object:
    """Refuse what Python's ``int()`` would accept but is not an integer as written.

    Without this, ``/todos/1.0``, ``/todos/+1``, ``/todos/%201`` and ``/todos/1_0`` (read as 10!)
    would all be accepted as ids; the contract wants a 422 for anything but an integer.
    """
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("must be a whole number written in digits")
    return value


WholeNumber = BeforeValidator(_digits_only)
"""Put it after ``Path(...)``/``Query(...)`` in ``Annotated``: it then runs first all the same,
and the bounds stay pydantic constraints, published in OpenAPI as ``minimum``/``maximum``.
(Placed before them, the bounds are published as ``ge``/``le``, which JSON Schema ignores, so
a client generating ids from the document would send 0 and negative ids as valid.)"""

TodoId = Annotated[
    int,
    Path(ge=1, le=MAX_ID, description="the todo's id, an integer in 1 … 2^63-1"),
    WholeNumber,
]


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many first"), WholeNumber]
"""``offset`` of a page, for ``GET /todos`` and ``GET /tags`` alike."""


@dataclass(frozen=True, slots=True)
class TodoFilter:
    """Which todos ``GET /todos`` returns."""

    completed: bool | None
    limit: int
    offset: int
    tag: str | None = None


def todo_filter(
    completed: Annotated[
        Literal["true", "false"] | None,
        Query(description="only completed (true) or pending (false) todos"),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="at most this many todos"), WholeNumber
    ] = 100,
    offset: Offset = 0,
    tag: Annotated[
        Tag | None, Query(description="only todos carrying this tag (normalised as in a body)")
    ] = None,
) -> TodoFilter:
    """Parse the list query; ``completed`` takes exactly ``true`` or ``false``."""
    return TodoFilter(
        completed=None if completed is None else completed == "true",
        limit=limit,
        offset=offset,
        tag=tag,
    )


TodoFilterDep = Annotated[TodoFilter, Depends(todo_filter)]


@dataclass(frozen=True, slots=True)
class TagPage:
    """Which tags ``GET /tags`` returns, in name order."""

    limit: int
    offset: int


def tag_page(
    limit: Annotated[
        int, Query(ge=1, le=1000, description="at most this many tags"), WholeNumber
    ] = 100,
    offset: Offset = 0,
) -> TagPage:
    """Parse the tag list's page."""
    return TagPage(limit=limit, offset=offset)


TagPageDep = Annotated[TagPage, Depends(tag_page)]

AsyncTodoFilterDep = Annotated[TodoFilter, Depends(on_the_event_loop(todo_filter))]
"""``TodoFilterDep`` for the async apps (``todo_contract.event_loop``)."""
AsyncTagPageDep = Annotated[TagPage, Depends(on_the_event_loop(tag_page))]
"""``TagPageDep`` for the async apps."""
