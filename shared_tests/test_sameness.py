"""The two apps are provably the same API.

Their OpenAPI documents are identical apart from ``info.title``, and one fixed script of
requests — successes and every kind of error — gets identical statuses, headers that matter
and bodies from both, on each backend (server-set timestamps masked). The script tags todos,
filters by tag and lists ``/tags`` too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from shared_tests.conftest import assert_no_checked_out_connections
from shared_tests.templates import Templates
from todo_contract.variants import variants

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
    # tags
    ("POST", "/todos", {"title": "tagged", "tags": ["b", "_x", "-y", "0z", " A ", "a"]}),
    ("PUT", "/todos/1", {"title": "Buy oat milk", "completed": True, "priority": 1, "tags": ["b"]}),
    ("PUT", "/todos/1", {"title": "Buy oat milk", "completed": True, "priority": 1}),
    ("PATCH", "/todos/3", {"tags": ["HOME", "b", "home"]}),
    ("GET", "/todos", None),
    ("GET", "/todos?tag=b", None),
    ("GET", "/todos?tag=%20HOME%20&completed=true&limit=1&offset=0", None),
    ("GET", "/tags", None),
    ("GET", "/tags?limit=2&offset=1", None),
    ("DELETE", "/todos/3", None),
    ("GET", "/tags", None),
    ("HEAD", "/tags", None),
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
    ("POST", "/todos", {"title": "a", "tags": ["a b"]}),
    ("POST", "/todos", {"title": "a", "tags": ["\u212a"]}),
    ("POST", "/todos", {"title": "a", "tags": ["x" * 33]}),
    ("POST", "/todos", {"title": "a", "tags": ["x"] * 21}),
    ("POST", "/todos", {"title": "a", "tags": "home"}),
    ("POST", "/todos", {"title": "a", "tags": [1, None]}),
    ("PATCH", "/todos/1", {"tags": None}),
    ("GET", "/todos?tag=", None),
    ("GET", "/todos?tag=a%2Fb", None),
    ("GET", "/tags?limit=0", None),
    ("GET", "/tags?limit=1001", None),
    ("GET", "/tags?offset=-1", None),
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
    ("POST", "/tags", None),
    ("DELETE", "/tags", None),
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


def test_every_variant_publishes_the_same_openapi_document_apart_from_the_title() -> None:
    documents = {}
    for variant in variants():
        document = variant.create_app("sqlite:///unused.db").openapi()
        assert document["info"].pop("title")
        documents[variant.name] = document
    first, *others = documents.values()
    assert len(documents) >= 2
    for name, document in documents.items():
        assert document == first, f"{name} publishes a different document"
    assert others


def test_a_fixed_script_gets_identical_answers_from_every_variant(
    backend: str, tmp_path: Path, templates: Templates
) -> None:
    transcripts = {}
    for variant in variants():
        workdir = tmp_path / variant.name
        workdir.mkdir()
        with templates.copy(backend, workdir) as url:
            app = variant.create_app(url)
            with TestClient(app) as client:
                transcripts[variant.name] = run_script(client)
                assert_no_checked_out_connections(app)
    first_name, first = next(iter(transcripts.items()))
    for name, transcript in transcripts.items():
        for expected, step in zip(first, transcript, strict=True):
            assert step == expected, f"{name} differs from {first_name}"
    statuses = {status for _, _, status, _, _ in first}
    assert statuses == {200, 201, 204, 404, 405, 413, 422}
    tag_lists = [
        json.loads(body) for method, path, _, _, body in first if (method, path) == ("GET", "/tags")
    ]
    assert [[tag["name"] for tag in tags] for tags in tag_lists[:2]] == [
        ["-y", "0z", "_x", "a", "b", "home"],
        ["-y", "0z", "_x", "a", "b"],
    ], "the script's tag steps did not run as written"
