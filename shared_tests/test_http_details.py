"""HTTP details RFC 9110 asks for: several If-Match lines, HEAD wherever GET is, what 400 means,
and a bounded wait for a request head.

Found by fuzzing from outside: each was a place where the apps answered something other than
what HTTP (or their own OpenAPI document) says.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo
from shared_tests.live_server import live_server

STALE = '"0000000000000000"'
HEAD_PATHS = ["/todos", "/todos?completed=false", "/todos/count", "/todos/1", "/health"]
HEAD_PATHS += ["/todos/999", "/todos/abc", "/openapi.json", "/docs", "/redoc"]
VOLATILE_HEADERS = {"x-request-id", "date"}


# --- If-Match on several lines -------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_match_lines_count_as_one_list_so_a_current_tag_on_the_second_line_matches(
    client: TestClient, method: str
) -> None:
    todo = create_todo(client)
    current = client.get(f"/todos/{todo['id']}").headers["ETag"]
    body = {"title": "t", "completed": True, "priority": 1} if method != "DELETE" else None

    response = client.request(
        method,
        f"/todos/{todo['id']}",
        json=body,
        headers=[("If-Match", STALE), ("If-Match", current)],
    )

    assert response.status_code in (200, 204), response.text


def test_if_match_lines_none_of_which_is_current_still_get_412(client: TestClient) -> None:
    todo = create_todo(client)

    response = client.patch(
        f"/todos/{todo['id']}",
        json={"completed": True},
        headers=[("If-Match", STALE), ("If-Match", '"1111111111111111", W/"x"')],
    )

    assert response.status_code == 412, response.text
    assert client.get(f"/todos/{todo['id']}").json()["completed"] is False


def test_a_star_on_a_later_if_match_line_matches_any_version(client: TestClient) -> None:
    todo = create_todo(client)

    response = client.delete(
        f"/todos/{todo['id']}", headers=[("If-Match", STALE), ("If-Match", "*")]
    )

    assert response.status_code == 204, response.text


# --- HEAD ----------------------------------------------------------------------------------


def comparable(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a response, without those that differ on every request."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower() not in VOLATILE_HEADERS
    }


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_answers_like_get_with_the_same_headers_and_no_body(
    client: TestClient, path: str
) -> None:
    create_todo(client, title="headed")

    get = client.get(path)
    head = client.head(path)

    assert head.status_code == get.status_code
    assert comparable(head.headers) == comparable(get.headers)
    assert get.content, "the GET must have a body for this check to mean anything"
    assert head.content == b""


def test_head_is_logged_as_head_and_changes_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="todo_contract.access")
    before = client.get("/todos/count").json()

    assert client.head("/todos").status_code == 200

    assert any("method=HEAD path=/todos " in r.getMessage() for r in caplog.records)
    assert client.get("/todos/count").json() == before


@pytest.mark.parametrize("path", ["/todos", "/todos/1", "/todos/count", "/health"])
def test_allow_lists_head_on_every_path_that_serves_get(client: TestClient, path: str) -> None:
    response = client.request("OPTIONS", path)

    assert response.status_code == 405
    allowed = [method.strip() for method in response.headers["allow"].split(",")]
    assert "GET" in allowed
    assert "HEAD" in allowed


def test_head_is_not_invented_where_get_is_not_served(app: FastAPI) -> None:
    """A path served only by POST must not answer HEAD (nor list it)."""
    app.post("/only-post")(lambda: {"ok": True})
    with TestClient(app) as client:
        response = client.head("/only-post")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


# --- 400 -----------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}
BAD_REQUEST_BODIES = [
    ("not UTF-8", b'{"title": "\xff"}', "not UTF-8, UTF-16 or UTF-32 text"),
    ("latin-1 declared", b'{"title": "\xe9"}', "not UTF-8, UTF-16 or UTF-32 text"),
    ("nested", b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
    ("huge integer", b'{"title": "x", "priority": ' + b"9" * 5000 + b"}", "4,300 digits"),
]


@pytest.mark.parametrize(
    ("raw", "cause"),
    [case[1:] for case in BAD_REQUEST_BODIES],
    ids=[c[0] for c in BAD_REQUEST_BODIES],
)
def test_each_body_that_answers_400_is_one_the_document_describes(
    client: TestClient, raw: bytes, cause: str
) -> None:
    response = client.post("/todos", content=raw, headers=JSON)
    description = client.get("/openapi.json").json()["paths"]["/todos"]["post"]["responses"]["400"][
        "description"
    ]

    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "There was an error parsing the body"}
    assert cause in description


@pytest.mark.parametrize(
    "raw", ['{"title": "utf-16"}'.encode("utf-16"), '{"title": "utf-32"}'.encode("utf-32-le")]
)
def test_json_in_utf16_or_utf32_is_not_a_400(client: TestClient, raw: bytes) -> None:
    """The description says UTF-16 and UTF-32 are decoded: they must be."""
    assert client.post("/todos", content=raw, headers=JSON).status_code == 201


def test_bytes_that_are_not_utf8_under_another_content_type_are_422_not_500(
    client: TestClient,
) -> None:
    response = client.post("/todos", content=b"\xff\xfe", headers={"content-type": "text/plain"})

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["input"] == "\\xff\\xfe"


# --- A connection that sends no request head -----------------------------------------------


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (None if still open after ``seconds``)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        data = sock.recv(1024)
    except TimeoutError:
        return None
    except ConnectionResetError:  # closed with unread bytes in its buffer: a reset, not a FIN
        return time.monotonic() - start
    assert data == b"", f"the server answered instead of closing: {data!r}"
    return time.monotonic() - start


@pytest.mark.slow
@pytest.mark.unmeasured(except_long_run=True)  # the head deadline's lines, once per variant
def test_the_real_server_closes_connections_that_send_no_complete_request_head(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    settings = {"TODO_REQUEST_HEAD_TIMEOUT": "0.5"}  # each wait below is time the suite waits
    with live_server(app_kind, ["--database-url", database_url], cwd=tmp_path, env=settings) as srv:
        port = int(srv.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as silent:
            assert closed_within(silent, 0.25) is None, "closed before the deadline"
            closed = closed_within(silent, 3.0)
            assert closed is not None, "an idle connection was kept open past the deadline"
        with socket.create_connection(("127.0.0.1", port)) as trickle:
            trickle.sendall(b"GET /health HTTP/1.1\r\n")
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                try:
                    trickle.sendall(b"X")
                except OSError:
                    break
                if closed_within(trickle, 0.2) is not None:
                    break
            else:
                raise AssertionError("a head sent a byte at a time was waited for past 3 s")
        head = httpx.head(f"{srv.base_url}/todos/count", timeout=5.0)
        assert head.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) == len(
            httpx.get(f"{srv.base_url}/todos/count").content
        )
