"""Route metadata both apps declare identically, so their OpenAPI documents match."""

from __future__ import annotations

from typing import Any

from fastapi import status

from todo_contract.schemas import ErrorMessage

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorMessage, "description": "No todo with this id"}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorMessage,
        "description": "Body over 65,536 bytes",
    }
}


def location(todo_id: int) -> str:
    """The ``Location`` of a created todo: a path relative to the API root."""
    return f"/todos/{todo_id}"
