"""The OpenAPI document states the rules the apps enforce, so that generated clients agree.

The title pattern must accept exactly the titles the schemas accept; bounds must be JSON
Schema's ``minimum``/``maximum`` (not pydantic's ``ge``/``le``, which JSON Schema ignores);
every status a route can answer is declared; ``POST /todos`` links to the routes that take the
new id.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

import orm_app
from todo_contract.schemas import TITLE_PATTERN, Title

TITLE = TypeAdapter(Title)
PATTERN = re.compile(TITLE_PATTERN)
# Every character up to U+3000 (past the last Unicode whitespace), and a few far beyond.
CHARACTERS = [chr(code) for code in range(0x3001)] + ["\ufeff", "\U0001f600", "\U0010fffd"]


def accepted(title: str) -> bool:
    try:
        TITLE.validate_python(title)
    except ValidationError:
        return False
    return True


def document() -> dict[str, Any]:
    openapi: dict[str, Any] = orm_app.create_app("sqlite:///unused.db").openapi()
    return openapi


@pytest.mark.parametrize(
    "template",
    ["{c}", "a{c}", "{c}a", "a{c}b", " {c} ", "{c}" + "x" * 199, "x" * 199 + "{c}"],
)
def test_the_title_pattern_accepts_exactly_what_the_schema_accepts(template: str) -> None:
    disagreements = [
        repr(title)
        for title in (template.format(c=character) for character in CHARACTERS)
        if bool(PATTERN.fullmatch(title)) != accepted(title)
    ]

    assert disagreements == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("x" * 200, True),
        ("x" * 201, False),
        (" \t" + "x" * 200 + "\u3000\n", True),
        ("\U0001f600" * 200, True),
        ("\U0001f600" * 201, False),
        ("   ", False),
        ("", False),
    ],
)
def test_the_title_pattern_counts_200_code_points_after_stripping(
    title: str, expected: bool
) -> None:
    assert accepted(title) is expected
    assert bool(PATTERN.fullmatch(title)) is expected


def test_id_limit_and_offset_bounds_are_json_schema_minimum_and_maximum() -> None:
    paths = document()["paths"]
    pages = [
        parameter["schema"]
        for path in ("/todos", "/tags")
        for parameter in paths[path]["get"]["parameters"]
        if parameter["name"] in ("limit", "offset")
    ]
    schemas = [*pages, paths["/todos/{todo_id}"]["get"]["parameters"][0]["schema"]]

    bounds = [(schema.get("minimum"), schema.get("maximum")) for schema in schemas]

    page = [(1, 1000), (0, 2**63 - 1)]
    assert bounds == [*page, *page, (1, 2**63 - 1)]
    assert not any("ge" in schema or "le" in schema for schema in schemas)


def test_a_patch_body_must_hold_at_least_one_field() -> None:
    assert document()["components"]["schemas"]["TodoPatch"]["minProperties"] == 1


def test_every_status_a_route_can_answer_is_declared() -> None:
    declared = {
        f"{method.upper()} {path}": set(operation["responses"])
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
    }

    body_errors = {"400", "413", "422", "503"}
    assert declared == {
        "GET /health": {"200", "503"},
        "GET /todos": {"200", "422", "503"},
        "POST /todos": {"201"} | body_errors,
        "GET /todos/count": {"200", "503"},
        "GET /tags": {"200", "422", "503"},
        "GET /todos/{todo_id}": {"200", "404", "422", "503"},
        "PUT /todos/{todo_id}": {"200", "404", "412"} | body_errors,
        "PATCH /todos/{todo_id}": {"200", "404", "412"} | body_errors,
        "DELETE /todos/{todo_id}": {"204", "404", "412", "422", "503"},
    }


def test_a_created_todo_links_to_every_route_that_takes_its_id() -> None:
    links = document()["paths"]["/todos"]["post"]["responses"]["201"]["links"]

    assert sorted(link["operationRef"] for link in links.values()) == [
        "#/paths/~1todos~1{todo_id}/delete",
        "#/paths/~1todos~1{todo_id}/get",
        "#/paths/~1todos~1{todo_id}/patch",
        "#/paths/~1todos~1{todo_id}/put",
    ]
    assert {str(link["parameters"]) for link in links.values()} == {
        str({"todo_id": "$response.body#/id"})
    }
