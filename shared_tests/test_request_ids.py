"""Observability: ``X-Request-ID`` on every response and one access log line per request."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo

ACCESS_LOGGER = "todo_contract.access"
ACCESS_LINE = re.compile(
    r"method=(?P<method>\S+) path=(?P<path>\S+) status=(?P<status>\d{3})"
    r" duration_ms=(?P<duration>\d+\.\d) request_id=(?P<request_id>\S+)"
)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = [record.getMessage() for record in caplog.records if record.name == ACCESS_LOGGER]
    matches = [ACCESS_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    return [match for match in matches if match is not None]


def test_every_response_carries_a_request_id_whatever_its_status(client: TestClient) -> None:
    todo = create_todo(client)
    responses = [
        client.get(f"/todos/{todo['id']}"),  # 200
        client.post("/todos", json={"title": "x"}),  # 201
        client.delete(f"/todos/{todo['id']}"),  # 204
        client.get("/todos/999"),  # 404
        client.put("/todos"),  # 405
        client.post("/todos", content=b"x" * 70_000),  # 413
        client.get("/todos/abc"),  # 422
        client.get("/health"),
    ]
    ids = [response.headers["X-Request-ID"] for response in responses]
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids), "each request gets its own id"


def test_a_request_id_the_client_sends_is_echoed(client: TestClient) -> None:
    response = client.get("/todos", headers={"X-Request-ID": "checkout-42/retry-1"})
    assert response.headers["X-Request-ID"] == "checkout-42/retry-1"


@pytest.mark.parametrize(
    "unusable",
    ["", "has space", "x" * 201, "tab\there", "caf\u00e9"],
    ids=["empty", "space", "too-long", "control", "non-ascii"],
)
def test_a_request_id_that_could_corrupt_a_log_line_is_replaced(
    client: TestClient, unusable: str
) -> None:
    response = client.get("/todos", headers={b"X-Request-ID": unusable.encode("utf-8")})
    assert response.status_code == 200
    replaced = response.headers["X-Request-ID"]
    assert replaced != unusable
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_each_request_is_logged_once_with_method_path_status_duration_and_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    created = client.post("/todos", json={"title": "logged"}, headers={"X-Request-ID": "abc-1"})
    missing = client.get("/todos/999")

    lines = access_lines(caplog)

    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/todos", "201"),
        ("GET", "/todos/999", "404"),
    ]
    assert lines[0]["request_id"] == "abc-1" == created.headers["X-Request-ID"]
    assert lines[1]["request_id"] == missing.headers["X-Request-ID"]
    assert all(float(line["duration"]) >= 0 for line in lines)


def test_the_access_line_carries_its_fields_for_structured_handlers(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = client.get("/todos/count")
    (record,) = [record for record in caplog.records if record.name == ACCESS_LOGGER]
    fields = getattr(record, "http")  # noqa: B009 - set through ``extra``
    assert {key: fields[key] for key in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/todos/count",
        "status": 200,
        "request_id": response.headers["X-Request-ID"],
    }
    assert isinstance(fields["duration_ms"], float)


def test_a_path_with_spaces_or_newlines_stays_on_one_quoted_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    client.get("/todos/a%20b%0Aforged=1")
    (record,) = [record for record in caplog.records if record.name == ACCESS_LOGGER]
    message = record.getMessage()
    assert "\n" not in message
    assert 'path="/todos/a b\\nforged=1"' in message
