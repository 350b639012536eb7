"""The two apps are provably the same API.

Their OpenAPI documents are identical apart from ``info.title``, and one fixed script of
requests — successes and every kind of error — gets identical statuses, headers that matter
and bodies from both, on each backend (server-set timestamps masked).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from shared_tests.backends import fresh_database
from shared_tests.conftest import APPS, assert_no_checked_out_connections

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
HEADERS_THAT_MATTER = ("location", "content-type", "allow", "content-length")

# (method, path, JSON body or raw bytes or None)
SCRIPT: list[tuple[str, str, Any]] = [
    ("GET", "/todos", None),
    ("GET", "/todos/count", None),
    ("POST", "/todos", {"title": "  Buy milk  "}),
    ("POST", "/todos", {"title": "Write tests", "completed": True, "priority": 3}),
    ("POST", "/todos", {"title": "emoji 🎉 and עברית and e\u0301", "priority": -2147483648}),
    ("POST", "/todos", {"title": "x" * 200, "priority": 2147483647}),
    ("GET", "/todos", None),
    ("GET", "/todos?completed=true", None),
    ("GET", "/todos?completed=false&limit=1&offset=1", None),
    ("GET", "/todos/count", None),
    ("GET", "/todos/2", None),
    ("PUT", "/todos/1", {"title": "Buy oat milk", "completed": True, "priority": 1}),
    ("PATCH", "/todos/1", {"priority": 9}),
    ("PATCH", "/todos/3", {"completed": True, "title": "t"}),
    ("DELETE", "/todos/2", None),
    ("GET", "/todos/2", None),
    ("DELETE", "/todos/2", None),
    ("PUT", "/todos/2", {"title": "a", "completed": False, "priority": 0}),
    ("PATCH", "/todos/2", {"title": "a"}),
    ("POST", "/todos", {"title": "after delete"}),
    ("GET", "/todos/count", None),
    # validation errors
    ("POST", "/todos", {"title": ""}),
    ("POST", "/todos", {"title": "x" * 201}),
    ("POST", "/todos", {"title": "a\x00b"}),
    ("POST", "/todos", {"title": "a", "completed": "yes"}),
    ("POST", "/todos", {"title": "a", "priority": 1.5}),
    ("POST", "/todos", {"title": "a", "priority": 2147483648}),
    ("POST", "/todos", {"title": "a", "extra": 1}),
    ("POST", "/todos", b'{"title": "a", "priority": NaN}'),
    ("POST", "/todos", b'{"title": "\\ud800"}'),
    ("POST", "/todos", b"{not json"),
    ("PUT", "/todos/1", {"title": "only a title"}),
    ("PATCH", "/todos/1", {}),
    ("PATCH", "/todos/1", {"title": None}),
    ("GET", "/todos?completed=yes", None),
    ("GET", "/todos?limit=0", None),
    ("GET", "/todos?limit=1001", None),
    ("GET", "/todos?offset=-1", None),
    ("GET", "/todos/0", None),
    ("GET", "/todos/abc", None),
    ("GET", f"/todos/{2**63}", None),
    ("GET", f"/todos/{2**63 - 1}", None),
    # size, method and path errors
    ("POST", "/todos", {"title": "a", "pad": " " * 70_000}),
    ("PUT", "/todos", None),
    ("POST", "/todos/1", None),
    ("DELETE", "/todos/count", None),
    ("POST", "/health", None),
    ("GET", "/nowhere", None),
    ("GET", "/health", None),
    ("GET", "/todos", None),
]


def masked(text: str) -> str:
    return TIMESTAMP.sub("<timestamp>", text)


def run_script(client: TestClient) -> list[tuple[str, str, int, dict[str, str], str]]:
    transcript = []
    for method, path, body in SCRIPT:
        if isinstance(body, bytes):
            response = client.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
        else:
            response = client.request(method, path, json=body)
        headers = {
            name: response.headers[name] for name in HEADERS_THAT_MATTER if name in response.headers
        }
        transcript.append((method, path, response.status_code, headers, masked(response.text)))
    return transcript


def test_both_apps_publish_the_same_openapi_document_apart_from_the_title() -> None:
    documents = {}
    for kind, create_app in APPS.items():
        document = create_app("sqlite:///unused.db").openapi()
        assert document["info"].pop("title")
        documents[kind] = document
    assert documents["orm"] == documents["core"]


def test_a_fixed_script_gets_identical_answers_from_both_apps(backend: str, tmp_path: Path) -> None:
    transcripts = {}
    for kind, create_app in APPS.items():
        workdir = tmp_path / kind
        workdir.mkdir()
        with fresh_database(backend, workdir, f"same_{kind}") as url:
            app = create_app(url)
            with TestClient(app) as client:
                transcripts[kind] = run_script(client)
                assert_no_checked_out_connections(app)
    for orm_step, core_step in zip(transcripts["orm"], transcripts["core"], strict=True):
        assert orm_step == core_step
    statuses = {status for _, _, status, _, _ in transcripts["orm"]}
    assert statuses == {200, 201, 204, 404, 405, 413, 422}
