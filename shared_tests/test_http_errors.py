"""HTTP-level errors and the service endpoints.

Covers 405 with a complete ``Allow`` header, 404 for unknown paths, the 65,536-byte body limit
(413, with and without ``Content-Length``, leaving nothing stored), bodies that are not a JSON
object (422, or 400 for bytes that are not UTF-8), strict JSON in 422 responses to NaN and
Infinity, error bodies that never leak internals, and ``/health``, ``/docs`` and
``/openapi.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn

import httpx2
import pytest
from fastapi.testclient import TestClient

MAX_BODY_BYTES = 65_536
TOO_LARGE = {"detail": f"Request body too large: the limit is {MAX_BODY_BYTES} bytes"}
JSON_HEADERS = {"content-type": "application/json"}
LEAK_MARKERS = ("Traceback", "sqlalchemy", "SELECT", 'File "')

ALLOWED = {
    "/todos": {"GET", "HEAD", "POST"},
    "/todos/1": {"GET", "HEAD", "PUT", "PATCH", "DELETE"},
    "/todos/count": {"GET", "HEAD"},
    "/health": {"GET", "HEAD"},
    "/tags": {"GET", "HEAD"},
}
NOT_ALLOWED = [
    ("/todos", "PUT"),
    ("/todos", "PATCH"),
    ("/todos", "DELETE"),
    ("/todos/1", "POST"),
    ("/todos/count", "POST"),
    ("/todos/count", "PUT"),
    ("/todos/count", "PATCH"),
    ("/todos/count", "DELETE"),
    ("/health", "POST"),
    ("/health", "PUT"),
    ("/health", "PATCH"),
    ("/health", "DELETE"),
    ("/tags", "POST"),
    ("/tags", "PUT"),
    ("/tags", "PATCH"),
    ("/tags", "DELETE"),
]

# A writing request per body-taking route: (method, path). The todo with id 1 exists.
WRITES = [("POST", "/todos"), ("PUT", "/todos/1"), ("PATCH", "/todos/1")]
ORIGINAL = {"title": "original", "completed": False, "priority": 0}
REPLACEMENT = {"title": "changed", "completed": True, "priority": 5}


def padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON followed by spaces, exactly ``size`` bytes long: still valid JSON."""
    encoded = json.dumps(body).encode()
    assert len(encoded) <= size
    return encoded + b" " * (size - len(encoded))


def chunked(data: bytes, chunk_size: int = 4096) -> Iterator[bytes]:
    """Yield ``data`` in chunks; httpx sends an iterator with chunked transfer encoding."""
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]


def spaces_in_chunks(total: int, chunk_size: int = 65_536) -> Iterator[bytes]:
    """``total`` bytes of spaces in chunks, without building them in memory at once."""
    chunk = b" " * chunk_size
    for _ in range(total // chunk_size):
        yield chunk


def create_original(client: TestClient) -> dict[str, Any]:
    """Create the todo every write test works on (it gets id 1 on a fresh database)."""
    response = client.post("/todos", json=ORIGINAL)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["id"] == 1
    return body


def assert_unchanged(client: TestClient, original: dict[str, Any]) -> None:
    """The original todo is still the only one, exactly as created."""
    assert client.get("/todos").json() == [original]


def reject_constant(name: str) -> NoReturn:
    raise AssertionError(f"response body holds the non-JSON constant {name}")


def strict_json(response: httpx2.Response) -> Any:
    """The response body parsed as strict JSON (no NaN, Infinity or -Infinity)."""
    return json.loads(response.content, parse_constant=reject_constant)


def assert_validation_error(response: httpx2.Response, *errors: tuple[str, list[Any]]) -> None:
    """A 422 in FastAPI's shape whose errors have exactly these (type, loc) pairs."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    detail = strict_json(response)["detail"]
    assert [(error["type"], error["loc"]) for error in detail] == list(errors)


# --- 405 and 404 -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "method"), NOT_ALLOWED)
def test_a_method_a_path_does_not_serve_is_405_listing_every_allowed_method(
    client: TestClient, path: str, method: str
) -> None:
    create_original(client)

    response = client.request(method, path, json=REPLACEMENT)

    assert response.status_code == 405, response.text
    assert response.json() == {"detail": "Method Not Allowed"}
    allow = {name.strip() for name in response.headers["allow"].split(",")}
    assert allow == ALLOWED[path]
    assert response.headers["content-type"] == "application/json"


def test_a_405_changes_nothing(client: TestClient) -> None:
    original = create_original(client)

    assert client.request("DELETE", "/todos").status_code == 405
    assert client.request("PUT", "/todos", json=REPLACEMENT).status_code == 405
    assert client.request("POST", "/todos/1", json=REPLACEMENT).status_code == 405

    assert_unchanged(client, original)


@pytest.mark.parametrize("path", ["/nope", "/todo", "/todos/1/extra", "/todos/count/1", "/"])
def test_an_unknown_path_is_a_plain_404(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert response.headers["content-type"] == "application/json"


# --- 413 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_body_over_the_limit_with_a_content_length_is_413_and_stores_nothing(
    client: TestClient, method: str, path: str
) -> None:
    original = create_original(client)

    response = client.request(
        method, path, content=padded(REPLACEMENT, MAX_BODY_BYTES + 1), headers=JSON_HEADERS
    )

    assert response.request.headers["content-length"] == str(MAX_BODY_BYTES + 1)
    assert response.status_code == 413, response.text
    assert response.json() == TOO_LARGE
    assert response.headers["content-type"] == "application/json"
    assert_unchanged(client, original)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_chunked_body_over_the_limit_is_413_and_stores_nothing(
    client: TestClient, method: str, path: str
) -> None:
    original = create_original(client)

    response = client.request(
        method,
        path,
        content=chunked(padded(REPLACEMENT, MAX_BODY_BYTES + 1)),
        headers=JSON_HEADERS,
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413, response.text
    assert response.json() == TOO_LARGE
    assert_unchanged(client, original)


def test_a_10_mb_chunked_body_is_413_and_stores_nothing(client: TestClient) -> None:
    original = create_original(client)
    ten_mb = 10 * 1024 * 1024

    def body() -> Iterator[bytes]:
        yield b'{"title": "huge"'
        yield from spaces_in_chunks(ten_mb)
        yield b"}"

    response = client.post("/todos", content=body(), headers=JSON_HEADERS)

    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json() == TOO_LARGE
    assert_unchanged(client, original)


def test_a_body_of_exactly_the_limit_with_a_content_length_is_accepted(
    client: TestClient,
) -> None:
    response = client.post(
        "/todos", content=padded({"title": "at the limit"}, MAX_BODY_BYTES), headers=JSON_HEADERS
    )

    assert response.request.headers["content-length"] == str(MAX_BODY_BYTES)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "at the limit"
    assert client.get("/todos/count").json() == {"total": 1, "completed": 0, "pending": 1}


def test_a_chunked_body_of_exactly_the_limit_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/todos",
        content=chunked(padded({"title": "chunked at the limit"}, MAX_BODY_BYTES)),
        headers=JSON_HEADERS,
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "chunked at the limit"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_body_of_exactly_the_limit_is_accepted(client: TestClient, method: str) -> None:
    create_original(client)

    response = client.request(
        method, "/todos/1", content=padded(REPLACEMENT, MAX_BODY_BYTES), headers=JSON_HEADERS
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["completed"], body["priority"]) == ("changed", True, 5)


def test_a_small_chunked_body_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/todos", content=chunked(b'{"title": "in pieces"}', chunk_size=3), headers=JSON_HEADERS
    )

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "in pieces"


# --- bodies that are not a JSON object ---------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "raw", [b'{"title": "x"', b"{title: 'x'}", b'{"title": "x",}', b"not json", b"{}}"]
)
def test_malformed_json_is_422_and_stores_nothing(
    client: TestClient, method: str, path: str, raw: bytes
) -> None:
    original = create_original(client)

    response = client.request(method, path, content=raw, headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    detail = strict_json(response)["detail"]
    assert [error["type"] for error in detail] == ["json_invalid"]
    assert_unchanged(client, original)


def test_an_empty_body_is_422(client: TestClient) -> None:
    response = client.post("/todos", content=b"", headers=JSON_HEADERS)

    assert_validation_error(response, ("missing", ["body"]))


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe\xfd", b'{"title": "\xff"}', b'{"title": "\xc3"}', b"\x80abc"]
)
def test_bytes_that_are_not_utf8_are_a_client_error(client: TestClient, raw: bytes) -> None:
    response = client.post("/todos", content=raw, headers=JSON_HEADERS)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(strict_json(response)["detail"], str | list)
    assert client.get("/todos/count").json() == {"total": 0, "completed": 0, "pending": 0}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_sent_with_another_content_type_is_422(
    client: TestClient, content_type: str
) -> None:
    response = client.post(
        "/todos", content=b'{"title": "x"}', headers={"content-type": content_type}
    )

    assert_validation_error(response, ("model_attributes_type", ["body"]))
    assert client.get("/todos/count").json() == {"total": 0, "completed": 0, "pending": 0}


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "payload",
    [[{"title": "x"}], "x", 1, True, None],
    ids=["array", "string", "int", "bool", "null"],
)
def test_a_json_value_that_is_not_an_object_is_422(
    client: TestClient, method: str, path: str, payload: Any
) -> None:
    original = create_original(client)

    response = client.request(method, path, content=json.dumps(payload), headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    detail = strict_json(response)["detail"]
    assert [error["loc"] for error in detail] == [["body"]]
    assert_unchanged(client, original)


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "x", "priority": NaN}',
        b'{"title": "x", "priority": Infinity}',
        b'{"title": "x", "priority": -Infinity}',
        b'{"title": NaN, "completed": Infinity, "priority": -Infinity}',
        b'{"title": "x", "completed": false, "priority": 0, "extra": [NaN, {"a": Infinity}]}',
        b"[NaN, Infinity, -Infinity]",
        b"NaN",
    ],
)
def test_a_422_for_a_body_holding_nan_or_infinity_is_strict_json(
    client: TestClient, method: str, path: str, raw: bytes
) -> None:
    original = create_original(client)

    response = client.request(method, path, content=raw, headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    body = strict_json(response)
    assert isinstance(body["detail"], list)
    assert body["detail"] != []
    assert_unchanged(client, original)


# --- no internals in error bodies --------------------------------------------------------------


ERROR_REQUESTS: list[tuple[str, str, bytes | None, int]] = [
    ("GET", "/todos/999", None, 404),
    ("PUT", "/todos/999", json.dumps(REPLACEMENT).encode(), 404),
    ("PATCH", "/todos/999", b'{"completed": true}', 404),
    ("DELETE", "/todos/999", None, 404),
    ("GET", "/todos/abc", None, 422),
    ("GET", f"/todos/{2**63}", None, 422),
    ("DELETE", "/todos/0", None, 422),
    ("GET", "/todos?limit=0", None, 422),
    ("GET", f"/todos?offset={2**64}", None, 422),
    ("GET", "/todos?completed=maybe", None, 422),
    ("POST", "/todos", b'{"title": "x", "priority": 2147483648}', 422),
    ("POST", "/todos", b'{"title": "x", "priority": 100000000000000000000000000000}', 422),
    ("POST", "/todos", b'{"title": "x", "completed": "yes"}', 422),
    ("POST", "/todos", b'{"title": ""}', 422),
    ("POST", "/todos", b'{"title": "x", "id": 7}', 422),
    ("POST", "/todos", b'{"title": "x"', 422),
    ("POST", "/todos", b'{"title": "x", "priority": NaN}', 422),
    ("PATCH", "/todos/1", b"{}", 422),
    ("PATCH", "/todos/1", b'{"title": null}', 422),
    ("PUT", "/todos/1", b'{"title": "x"}', 422),
    ("POST", "/todos", b'{"title": "x"}' + b" " * MAX_BODY_BYTES, 413),
    ("DELETE", "/todos", None, 405),
    ("POST", "/todos/count", None, 405),
    ("GET", "/missing", None, 404),
]


@pytest.mark.parametrize(
    ("method", "path", "raw", "expected_status"),
    ERROR_REQUESTS,
    ids=[f"{method} {path[:30]} {status}" for method, path, _, status in ERROR_REQUESTS],
)
def test_error_bodies_never_leak_tracebacks_or_sql(
    client: TestClient, method: str, path: str, raw: bytes | None, expected_status: int
) -> None:
    create_original(client)

    response = client.request(method, path, content=raw, headers=JSON_HEADERS)

    assert response.status_code == expected_status, response.text
    assert response.headers["content-type"] == "application/json"
    strict_json(response)
    for marker in LEAK_MARKERS:
        assert marker not in response.text


# --- service endpoints -------------------------------------------------------------------------


def test_health_is_ok_while_the_database_answers(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"


def test_the_interactive_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_the_openapi_document_describes_every_path(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = strict_json(response)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/todos",
        "/todos/count",
        "/todos/{todo_id}",
        "/tags",
        "/health",
    }
    assert set(document["paths"]["/todos"]) == {"get", "post"}
    assert set(document["paths"]["/todos/{todo_id}"]) == {"get", "put", "patch", "delete"}
    assert set(document["paths"]["/todos/count"]) == {"get"}
    assert set(document["paths"]["/tags"]) == {"get"}
    assert set(document["paths"]["/health"]) == {"get"}
