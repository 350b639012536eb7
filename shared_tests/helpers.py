"""Small helpers shared by the contract tests: strict JSON parsing and common requests."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import make_url

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


def without_timestamps(output: str) -> str:
    """``output`` with the log lines' times (``2026-12-01 17:10:14,123``) blanked."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", "<time>", output)


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


# What an error body must never show: a stack trace, SQL or driver names, where the database is.
LEAK_MARKERS = (
    "Traceback",
    'File "',
    "SELECT",
    "INSERT",
    "UPDATE todos",
    "DELETE FROM",
    "sqlalchemy",
    "psycopg",
    "pymysql",
    "sqlite3",
    "postgresql://",
    "mysql://",
    "sqlite://",
)


def assert_no_internals(response: httpx2.Response, database_url: str) -> None:
    """An error response shows no stack trace, SQL, driver, or database URL or name.

    A 422 echoes the client's own input (``input``), which may be anything the client sent,
    SQL included: that echo is left out of the check, everything else in the body is checked.
    """
    body = strict_json(response.text)
    if isinstance(body.get("detail"), list):
        body["detail"] = [{k: v for k, v in e.items() if k != "input"} for e in body["detail"]]
    text = json.dumps(body, ensure_ascii=False) + str(response.headers)
    url = make_url(database_url)
    secrets = [str(url.database), url.render_as_string(hide_password=False)]
    if url.password:
        secrets.append(str(url.password))
    for marker in (*LEAK_MARKERS, *secrets):
        assert marker not in text, f"{marker!r} leaked in {text[:300]!r}"


def assert_still_healthy(client: TestClient) -> None:
    """``/health`` answers 200 and the table still serves a count."""
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/todos/count").status_code == 200
