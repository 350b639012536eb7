"""POST /todos: the created todo, its Location, defaults, timestamps, and every validation rule.

Covers the title rules (stripping, 1–200 code points, no control characters or lone
surrogates), strict ``completed`` and ``priority`` types and bounds, unknown and missing fields,
422 bodies that are strict JSON in FastAPI's shape, ids that only grow, and that a rejected
POST stores nothing.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import (
    TIMESTAMP_PATTERN,
    create_todo,
    error_locations_and_types,
    parse_timestamp,
    strict_json,
)

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
EMPTY_COUNT = {"total": 0, "completed": 0, "pending": 0}


def post_raw(client: TestClient, raw: bytes) -> httpx2.Response:
    """POST ``raw`` bytes to /todos as application/json, without re-encoding them."""
    return client.post("/todos", content=raw, headers={"Content-Type": "application/json"})


def assert_nothing_stored(client: TestClient) -> None:
    count = client.get("/todos/count")
    assert count.status_code == 200
    assert count.json() == EMPTY_COUNT
    listing = client.get("/todos")
    assert listing.status_code == 200
    assert listing.json() == []


def assert_rejected(
    client: TestClient, body: dict[str, Any], loc: list[str | int], error_type: str
) -> None:
    """POST ``body``; expect one 422 error of ``error_type`` at ``loc`` and nothing stored."""
    response = client.post("/todos", json=body)
    assert response.status_code == 422, response.text
    assert error_locations_and_types(response.text) == [(loc, error_type)]
    assert_nothing_stored(client)


# --- success -------------------------------------------------------------------------------


def test_a_created_todo_gets_201_a_relative_location_and_the_body_that_get_returns(
    client: TestClient,
) -> None:
    response = client.post("/todos", json={"title": "Buy milk", "completed": True, "priority": 3})

    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == f"/todos/{body['id']}"
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(body["id"], int)
    assert body["id"] >= 1
    assert body == {
        "id": body["id"],
        "title": "Buy milk",
        "completed": True,
        "priority": 3,
        "tags": [],
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    fetched = client.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_completed_defaults_to_false_and_priority_to_zero(client: TestClient) -> None:
    body = create_todo(client, title="Defaults")

    assert body["completed"] is False
    assert body["priority"] == 0
    assert client.get(f"/todos/{body['id']}").json() == body


def test_created_at_and_updated_at_are_utc_microsecond_timestamps_and_equal_on_create(
    client: TestClient,
) -> None:
    body = create_todo(client)

    assert TIMESTAMP_PATTERN.fullmatch(body["created_at"]), body["created_at"]
    assert TIMESTAMP_PATTERN.fullmatch(body["updated_at"]), body["updated_at"]
    assert body["updated_at"] == body["created_at"]
    parse_timestamp(body["created_at"])  # a real date, not only the right shape


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Buy milk  ", "Buy milk"),
        ("\tBuy milk\n", "Buy milk"),
        ("\r\n Buy  milk \t", "Buy  milk"),
    ],
    ids=["spaces", "tab-and-newline", "crlf-keeps-inner-spaces"],
)
def test_surrounding_whitespace_is_stripped_from_the_title(
    client: TestClient, sent: str, stored: str
) -> None:
    body = create_todo(client, title=sent)

    assert body["title"] == stored
    assert client.get(f"/todos/{body['id']}").json()["title"] == stored


def test_a_title_of_200_characters_with_surrounding_whitespace_is_accepted(
    client: TestClient,
) -> None:
    body = create_todo(client, title="  " + "x" * 200 + "\n")

    assert body["title"] == "x" * 200


@pytest.mark.parametrize(
    "title",
    ["a" * 200, "\U0001f600" * 200, "e\u0301" * 100, "\u05e9" * 200],
    ids=["ascii", "emoji", "combining", "hebrew"],
)
def test_a_title_of_exactly_200_code_points_is_accepted_and_round_trips(
    client: TestClient, title: str
) -> None:
    assert len(title) == 200
    body = create_todo(client, title=title)

    assert body["title"] == title
    assert client.get(f"/todos/{body['id']}").json()["title"] == title


@pytest.mark.parametrize(
    "title",
    [
        "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05b9\u05dc\u05b8\u05dd",
        "\u0645\u0631\u062d\u0628\u0627 123 world",
        "cafe\u0301 (not normalised to caf\u00e9)",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319",
        "\u202eright-to-left override\u202c and \u200fRLM\u200e",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 family, \U0001f1fa\U0001f1f3 flag",
    ],
    ids=["hebrew-with-points", "arabic-mixed", "decomposed-accent", "zalgo", "bidi", "zwj"],
)
def test_right_to_left_and_combining_titles_round_trip_exactly(
    client: TestClient, title: str
) -> None:
    body = create_todo(client, title=title)

    assert body["title"] == title
    fetched = client.get(f"/todos/{body['id']}").json()
    assert fetched["title"] == title
    assert [ord(c) for c in fetched["title"]] == [ord(c) for c in title]


@pytest.mark.parametrize("priority", [INT32_MIN, INT32_MAX, -1, 0])
def test_a_priority_in_the_signed_32_bit_range_is_accepted(
    client: TestClient, priority: int
) -> None:
    body = create_todo(client, priority=priority)

    assert body["priority"] == priority
    assert client.get(f"/todos/{body['id']}").json()["priority"] == priority


def test_ids_strictly_increase(client: TestClient) -> None:
    ids = [create_todo(client, title=f"todo {n}")["id"] for n in range(5)]

    assert ids == sorted(set(ids))
    assert len(ids) == 5


def test_the_id_of_a_deleted_last_todo_is_never_reused(client: TestClient) -> None:
    first = create_todo(client, title="first")
    last = create_todo(client, title="last")
    assert client.delete(f"/todos/{last['id']}").status_code == 204

    after = create_todo(client, title="after")

    assert after["id"] > last["id"] > first["id"]


def test_the_id_of_the_only_todo_is_never_reused_after_it_is_deleted(
    client: TestClient,
) -> None:
    only = create_todo(client, title="only")
    assert client.delete(f"/todos/{only['id']}").status_code == 204

    after = create_todo(client, title="after")

    assert after["id"] > only["id"]


# --- title validation ------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["a" * 201, "\U0001f600" * 201, " " + "b" * 201 + " "])
def test_a_title_longer_than_200_characters_is_rejected(client: TestClient, title: str) -> None:
    assert_rejected(client, {"title": title}, ["body", "title"], "string_too_long")


@pytest.mark.parametrize("title", ["", " ", "   \t\n  "], ids=["empty", "space", "whitespace"])
def test_an_empty_or_whitespace_only_title_is_rejected(client: TestClient, title: str) -> None:
    assert_rejected(client, {"title": title}, ["body", "title"], "string_too_short")


@pytest.mark.parametrize(
    "control", ["\x00", "\x1f", "\x7f", "\x85", "\x9f"], ids=["00", "1f", "7f", "85", "9f"]
)
def test_a_title_holding_a_control_character_is_rejected(client: TestClient, control: str) -> None:
    assert_rejected(client, {"title": f"bad{control}title"}, ["body", "title"], "value_error")


def test_a_title_holding_a_lone_surrogate_is_rejected_with_a_valid_json_body(
    client: TestClient,
) -> None:
    response = post_raw(client, b'{"title": "\\ud800"}')

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/json"
    errors = error_locations_and_types(response.text)  # parses as strict JSON
    assert [loc for loc, _type in errors] == [["body", "title"]]
    response.content.decode("utf-8")  # strict UTF-8, no encoded surrogate
    assert_nothing_stored(client)


def test_a_missing_title_is_rejected(client: TestClient) -> None:
    assert_rejected(client, {"completed": True}, ["body", "title"], "missing")


def test_an_empty_object_is_rejected_for_its_missing_title(client: TestClient) -> None:
    assert_rejected(client, {}, ["body", "title"], "missing")


@pytest.mark.parametrize("title", [123, None, ["a"], {"a": 1}, True])
def test_a_title_that_is_not_a_string_is_rejected(client: TestClient, title: object) -> None:
    response = client.post("/todos", json={"title": title})

    assert response.status_code == 422
    assert [loc for loc, _type in error_locations_and_types(response.text)] == [["body", "title"]]
    assert_nothing_stored(client)


# --- completed and priority validation ---------------------------------------------------------


@pytest.mark.parametrize("completed", ["yes", 1, "true", None, 0, "false"])
def test_completed_that_is_not_a_json_boolean_is_rejected(
    client: TestClient, completed: object
) -> None:
    assert_rejected(
        client, {"title": "a", "completed": completed}, ["body", "completed"], "bool_type"
    )


@pytest.mark.parametrize(
    ("priority", "error_type"),
    [(INT32_MIN - 1, "greater_than_equal"), (INT32_MAX + 1, "less_than_equal")],
    ids=["below-min", "above-max"],
)
def test_a_priority_one_past_the_32_bit_range_is_rejected(
    client: TestClient, priority: int, error_type: str
) -> None:
    assert_rejected(client, {"title": "a", "priority": priority}, ["body", "priority"], error_type)


@pytest.mark.parametrize("priority", [1.5, 1.0, "1", True, None], ids=repr)
def test_a_priority_that_is_not_a_json_integer_is_rejected(
    client: TestClient, priority: object
) -> None:
    assert_rejected(client, {"title": "a", "priority": priority}, ["body", "priority"], "int_type")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_a_non_finite_priority_is_rejected_with_a_strict_json_body(
    client: TestClient, constant: bytes
) -> None:
    response = post_raw(client, b'{"title":"a","priority":' + constant + b"}")

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = strict_json(response.text)  # raises if the body holds NaN or Infinity
    assert [error["loc"] for error in body["detail"]] == [["body", "priority"]]
    assert_nothing_stored(client)


def test_the_strict_json_parser_used_here_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        strict_json('{"a": NaN}')


# --- unknown fields and stored state -------------------------------------------------------------


@pytest.mark.parametrize("field", ["colour", "id", "created_at", "updated_at", "Title"])
def test_an_unknown_or_server_set_field_is_rejected(client: TestClient, field: str) -> None:
    assert_rejected(client, {"title": "a", field: 1}, ["body", field], "extra_forbidden")


def test_a_post_with_several_errors_reports_each_and_stores_nothing(client: TestClient) -> None:
    rejected = client.post("/todos", json={"title": "", "priority": 1.5, "extra": True})
    assert rejected.status_code == 422
    assert sorted(loc for loc, _type in error_locations_and_types(rejected.text)) == [
        ["body", "extra"],
        ["body", "priority"],
        ["body", "title"],
    ]
    assert_nothing_stored(client)

    created = create_todo(client)
    assert client.get("/todos").json() == [created]
    assert client.get("/todos/count").json() == {"total": 1, "completed": 0, "pending": 1}
