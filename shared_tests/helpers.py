"""Small helpers shared by the contract tests: strict JSON parsing and common requests."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json(text: str) -> Any:
    """Parse ``text`` as strict JSON: NaN, Infinity and -Infinity raise ValueError."""
    return json.loads(text, parse_constant=_reject_constant)


def create_todo(client: TestClient, **fields: Any) -> dict[str, Any]:
    """POST a todo (title defaults to ``"a todo"``), assert 201 and return its body."""
    response = client.post("/todos", json={"title": "a todo", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def parse_timestamp(value: str) -> datetime:
    """A server timestamp (``2024-01-15T10:30:00.123456Z``) as a naive UTC datetime."""
    assert TIMESTAMP_PATTERN.fullmatch(value), value
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")


def error_locations_and_types(text: str) -> list[tuple[list[str | int], str]]:
    """The ``(loc, type)`` of every error in a FastAPI 422 body, after checking its shape."""
    body = strict_json(text)
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"], list), body
    pairs: list[tuple[list[str | int], str]] = []
    for error in body["detail"]:
        assert {"loc", "msg", "type"} <= set(error), error
        assert isinstance(error["msg"], str), error
        pairs.append((error["loc"], error["type"]))
    return pairs
