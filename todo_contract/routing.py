"""Route metadata both apps declare identically, so their OpenAPI documents match."""

from __future__ import annotations

from typing import Any

from fastapi import status

from todo_contract.etags import ETAG_RESPONSE_HEADER
from todo_contract.schemas import ErrorMessage

Responses = dict[int | str, dict[str, Any]]

TODO_ROUTE = "#/paths/~1todos~1{todo_id}"
CREATED: Responses = {
    status.HTTP_201_CREATED: {
        "description": "The created todo; its Location header gives its path",
        "headers": {
            "Location": {"description": "The new todo's path", "schema": {"type": "string"}},
            **ETAG_RESPONSE_HEADER,
        },
        "links": {
            f"{verb}_created_todo": {
                "operationRef": f"{TODO_ROUTE}/{method}",
                "parameters": {"todo_id": "$response.body#/id"},
                "description": f"{verb.capitalize()} the todo just created",
            }
            for verb, method in [
                ("get", "get"),
                ("replace", "put"),
                ("update", "patch"),
                ("delete", "delete"),
            ]
        },
    }
}
"""``POST /todos`` with its headers and OpenAPI links to the routes that take the new todo's
id, so that clients (and stateful testers such as schemathesis) know where the id goes."""
TAGGED: Responses = {status.HTTP_200_OK: {"headers": ETAG_RESPONSE_HEADER}}
"""A route answering one todo: its ``ETag`` header."""
NOT_FOUND: Responses = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorMessage, "description": "No todo with this id"}
}
CHANGED_SINCE: Responses = {
    status.HTTP_412_PRECONDITION_FAILED: {
        "model": ErrorMessage,
        "description": "`If-Match` named a version of the todo that is no longer current",
    }
}
TOO_LARGE: Responses = {
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorMessage,
        "description": "Body over 65,536 bytes",
    }
}
BODY_ERRORS: Responses = {
    status.HTTP_400_BAD_REQUEST: {
        "model": ErrorMessage,
        "description": "A JSON body (`application/json` or `+json`) that cannot be decoded: "
        "bytes that are not UTF-8, UTF-16 or UTF-32 text, arrays or objects nested deeper "
        "than the parser's recursion limit, or an integer of more than 4,300 digits",
    },
    **TOO_LARGE,
}
"""What a route that reads a JSON body may answer before validating it (422 is FastAPI's)."""
UNAVAILABLE: Responses = {
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorMessage,
        "description": "The database failed or cannot be reached, or every connection is busy",
    }
}
"""What every route that talks to the database may answer (declared once, in ``build_app``)."""


def location(todo_id: int) -> str:
    """The ``Location`` of a created todo: a path relative to the API root."""
    return f"/todos/{todo_id}"
