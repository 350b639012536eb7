"""Route metadata both apps declare identically, so their OpenAPI documents match."""

from __future__ import annotations

from typing import Any

from fastapi import status

from todo_contract.etags import ETAG_RESPONSE_HEADER
from todo_contract.schemas import ErrorMessage

Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorMessage, "description": "No todo with this id"}
}
TOO_LARGE: Responses = {
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorMessage,
        "description": "Body over 65,536 bytes",
    }
}

CHANGED_SINCE: Responses = {
    status.HTTP_412_PRECONDITION_FAILED: {
        "model": ErrorMessage,
        "description": "`If-Match` named a version of the todo that is no longer current",
    }
}
TAGGED: Responses = {status.HTTP_200_OK: {"headers": ETAG_RESPONSE_HEADER}}
CREATED: Responses = {
    status.HTTP_201_CREATED: {
        "headers": {
            "Location": {"description": "The new todo's path", "schema": {"type": "string"}},
            **ETAG_RESPONSE_HEADER,
        }
    }
}


def location(todo_id: int) -> str:
    """The ``Location`` of a created todo: a path relative to the API root."""
    return f"/todos/{todo_id}"
