"""Optimistic concurrency: an ``ETag`` on every todo, and ``If-Match`` on PUT, PATCH and DELETE.

Two clients that read a todo and then both write it would otherwise overwrite each other
silently. A client that sends the ``ETag`` it read back in ``If-Match`` gets 412 instead when
the todo changed in between, and can re-read and decide.

The tag is derived from the todo's id and ``updated_at``, which moves forward on every
successful update, so no extra column is needed; it is hashed so clients treat it as opaque.
Comparison is strong (RFC 9110 §13.1.1): weak tags (``W/"…"``) never match, ``*`` matches any
existing todo. A missing todo is still a 404: preconditions are ignored when the request
would fail without them (RFC 9110 §13.2.1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from todo_contract.clock import format_timestamp
from todo_contract.event_loop import on_the_event_loop
from todo_contract.schemas import TodoRead

ETAG_HEADER = "ETag"


def etag(todo_id: int, updated_at: datetime) -> str:
    """The strong entity tag of a todo at its current version, quotes included."""
    version = f"{todo_id}:{format_timestamp(updated_at)}"
    digest = hashlib.blake2b(version.encode(), digest_size=8)
    return f'"{digest.hexdigest()}"'


def tag_response(response: Response, todo: TodoRead) -> TodoRead:
    """Set ``ETag`` on ``response`` for ``todo`` and hand the todo back."""
    response.headers[ETAG_HEADER] = etag(todo.id, todo.updated_at)
    return todo


class TodoChanged(Exception):
    """``If-Match`` named a version of the todo that is no longer current (412)."""

    def __init__(self, todo_id: int) -> None:
        super().__init__(f"Todo {todo_id} has changed; fetch it again and retry")


@dataclass(frozen=True, slots=True)
class IfMatch:
    """A parsed ``If-Match`` header: ``*`` or a list of entity tags."""

    any_version: bool
    tags: frozenset[str]

    @classmethod
    def parse(cls, value: str) -> IfMatch:
        """Split the header's comma-separated list; keep only strong tags (weak never match)."""
        entries = [entry.strip() for entry in value.split(",")]
        return cls(
            any_version="*" in entries,
            tags=frozenset(entry for entry in entries if entry.startswith('"')),
        )

    def check(self, todo_id: int, updated_at: datetime) -> None:
        """Raise ``TodoChanged`` unless the todo's current version is one the client named."""
        if not self.any_version and etag(todo_id, updated_at) not in self.tags:
            raise TodoChanged(todo_id)


def if_match(
    request: Request,
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Only change the todo if its current ETag is one of these (or `*`); "
            "412 otherwise. Leave it out to change the todo whatever its version.",
        ),
    ] = None,
) -> IfMatch | None:
    """The request's ``If-Match`` precondition, or None when it sent none.

    ``value`` (declared for the OpenAPI document) is only the first ``If-Match`` line; RFC 9110
    §5.3 makes several lines equal to one line listing their values, so all are read.
    """
    if value is None:
        return None
    return IfMatch.parse(", ".join(request.headers.getlist("if-match")))


IfMatchDep = Annotated[IfMatch | None, Depends(if_match)]
AsyncIfMatchDep = Annotated[IfMatch | None, Depends(on_the_event_loop(if_match))]
"""``IfMatchDep`` for the async apps (``todo_contract.event_loop``)."""

ETAG_RESPONSE_HEADER: dict[str, Any] = {
    ETAG_HEADER: {
        "description": "The todo's current version; send it back in `If-Match` to update safely",
        "schema": {"type": "string"},
    }
}
