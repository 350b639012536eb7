"""PUT and PATCH /todos/{id}: what they replace or change, their validation, and timestamps.

PUT needs title, completed and priority and replaces all three; PATCH changes only the fields
sent (at least one, never ``null``). Both bump ``updated_at`` strictly, keep ``id`` and
``created_at``, answer 404 for a missing todo, apply the create rules to their bodies, and
change nothing when they reject a request.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import (
    create_todo,
    error_locations_and_types,
    parse_timestamp,
    strict_json,
)

FULL_BODY = {"title": "replaced", "completed": True, "priority": -7}
FIELDS = ("title", "completed", "priority")


def update(client: TestClient, method: str, todo_id: int, body: object) -> httpx2.Response:
    """Send a PUT or PATCH with a JSON body."""
    return client.request(method, f"/todos/{todo_id}", json=body)


def get(client: TestClient, todo_id: int) -> dict[str, Any]:
    response = client.get(f"/todos/{todo_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_unchanged(client: TestClient, before: dict[str, Any]) -> None:
    assert get(client, before["id"]) == before
    assert client.get("/todos").json() == [before]


# --- PUT -------------------------------------------------------------------------------------


def test_put_replaces_title_completed_and_priority(client: TestClient) -> None:
    before = create_todo(client, title="original", completed=False, priority=5)

    response = client.put(f"/todos/{before['id']}", json=FULL_BODY)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "id": before["id"],
        "title": "replaced",
        "completed": True,
        "priority": -7,
        "tags": [],
        "created_at": before["created_at"],
        "updated_at": body["updated_at"],
    }
    assert parse_timestamp(body["updated_at"]) > parse_timestamp(before["updated_at"])
    assert get(client, before["id"]) == body


@pytest.mark.parametrize("missing", FIELDS)
def test_put_without_one_of_the_three_fields_is_rejected(client: TestClient, missing: str) -> None:
    before = create_todo(client)
    body = {field: value for field, value in FULL_BODY.items() if field != missing}

    response = client.put(f"/todos/{before['id']}", json=body)

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body", missing], "missing")]
    assert_unchanged(client, before)


def test_put_with_only_a_title_reports_both_missing_fields(client: TestClient) -> None:
    before = create_todo(client)

    response = client.put(f"/todos/{before['id']}", json={"title": "only"})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [
        (["body", "completed"], "missing"),
        (["body", "priority"], "missing"),
    ]
    assert_unchanged(client, before)


def test_put_with_the_same_values_still_bumps_updated_at(client: TestClient) -> None:
    before = create_todo(client, title="same", completed=True, priority=2)

    response = client.put(
        f"/todos/{before['id']}", json={"title": "same", "completed": True, "priority": 2}
    )

    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert parse_timestamp(body["updated_at"]) > parse_timestamp(before["updated_at"])


def test_put_strips_surrounding_whitespace_from_the_title(client: TestClient) -> None:
    before = create_todo(client)

    response = client.put(f"/todos/{before['id']}", json={**FULL_BODY, "title": "  new \n"})

    assert response.status_code == 200
    assert response.json()["title"] == "new"
    assert get(client, before["id"])["title"] == "new"


# --- PATCH -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "renamed"), ("completed", True), ("priority", 2**31 - 1)],
    ids=list(FIELDS),
)
def test_patch_changes_only_the_field_sent(client: TestClient, field: str, value: object) -> None:
    other = create_todo(client, title="other", priority=1)
    before = create_todo(client, title="original", completed=False, priority=4)

    response = client.patch(f"/todos/{before['id']}", json={field: value})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {**before, field: value, "updated_at": body["updated_at"]}
    assert parse_timestamp(body["updated_at"]) > parse_timestamp(before["updated_at"])
    assert get(client, before["id"]) == body
    assert get(client, other["id"]) == other


def test_patch_with_two_fields_changes_both_and_keeps_the_third(client: TestClient) -> None:
    before = create_todo(client, title="keep me", completed=False, priority=4)

    response = client.patch(f"/todos/{before['id']}", json={"completed": True, "priority": -1})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        **before,
        "completed": True,
        "priority": -1,
        "updated_at": body["updated_at"],
    }


def test_patch_with_an_empty_object_is_rejected(client: TestClient) -> None:
    before = create_todo(client)

    response = client.patch(f"/todos/{before['id']}", json={})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body"], "value_error")]
    assert_unchanged(client, before)


@pytest.mark.parametrize("field", FIELDS)
def test_patch_setting_a_field_to_null_is_rejected(client: TestClient, field: str) -> None:
    before = create_todo(client)

    response = client.patch(f"/todos/{before['id']}", json={field: None})

    assert response.status_code == 422
    assert [loc for loc, _type in error_locations_and_types(response.text)] == [["body", field]]
    assert_unchanged(client, before)


def test_patch_with_an_unknown_field_is_rejected_even_beside_a_valid_one(
    client: TestClient,
) -> None:
    before = create_todo(client)

    response = client.patch(f"/todos/{before['id']}", json={"title": "new", "colour": "red"})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body", "colour"], "extra_forbidden")]
    assert_unchanged(client, before)


def test_patch_strips_surrounding_whitespace_from_the_title(client: TestClient) -> None:
    before = create_todo(client)

    response = client.patch(f"/todos/{before['id']}", json={"title": "\t patched  "})

    assert response.status_code == 200
    assert response.json()["title"] == "patched"


# --- both ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_updates_in_quick_succession_each_move_updated_at_strictly_forward(
    client: TestClient, method: str
) -> None:
    before = create_todo(client)
    stamps = [parse_timestamp(before["updated_at"])]
    bodies = []
    for _ in range(5):
        response = update(client, method, before["id"], FULL_BODY)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
        stamps.append(parse_timestamp(response.json()["updated_at"]))

    assert stamps == sorted(set(stamps)), stamps
    assert {body["id"] for body in bodies} == {before["id"]}
    assert {body["created_at"] for body in bodies} == {before["created_at"]}
    assert get(client, before["id"]) == bodies[-1]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_never_changes_id_or_created_at(client: TestClient, method: str) -> None:
    before = create_todo(client)

    body = update(client, method, before["id"], FULL_BODY).json()

    assert body["id"] == before["id"]
    assert body["created_at"] == before["created_at"]
    assert parse_timestamp(body["updated_at"]) > parse_timestamp(body["created_at"])


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_updating_a_todo_that_never_existed_is_404(client: TestClient, method: str) -> None:
    create_todo(client)

    response = update(client, method, 999_999, FULL_BODY)

    assert response.status_code == 404
    assert response.json() == {"detail": "Todo 999999 not found"}
    assert client.get("/todos/count").json() == {"total": 1, "completed": 0, "pending": 1}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_updating_a_deleted_todo_is_404_and_does_not_bring_it_back(
    client: TestClient, method: str
) -> None:
    todo = create_todo(client)
    assert client.delete(f"/todos/{todo['id']}").status_code == 204

    response = update(client, method, todo["id"], FULL_BODY)

    assert response.status_code == 404
    assert response.json() == {"detail": f"Todo {todo['id']} not found"}
    assert client.get("/todos").json() == []


def test_updating_the_largest_possible_id_is_404(client: TestClient) -> None:
    response = client.patch(f"/todos/{2**63 - 1}", json={"completed": True})

    assert response.status_code == 404
    assert response.json() == {"detail": f"Todo {2**63 - 1} not found"}


INVALID_FIELDS: list[tuple[str, object, str]] = [
    ("title", "a" * 201, "string_too_long"),
    ("title", "  \t ", "string_too_short"),
    ("title", "bad\x00title", "value_error"),
    ("title", "bad\x85title", "value_error"),
    ("completed", "yes", "bool_type"),
    ("completed", 1, "bool_type"),
    ("priority", 2**31, "less_than_equal"),
    ("priority", -(2**31) - 1, "greater_than_equal"),
    ("priority", 1.5, "int_type"),
    ("priority", "1", "int_type"),
    ("priority", True, "int_type"),
]
INVALID_IDS = [
    "title-too-long",
    "title-blank",
    "title-nul",
    "title-nel",
    "completed-yes",
    "completed-1",
    "priority-above",
    "priority-below",
    "priority-float",
    "priority-string",
    "priority-bool",
]


@pytest.mark.parametrize(("field", "value", "error_type"), INVALID_FIELDS, ids=INVALID_IDS)
def test_put_applies_the_create_rules_and_a_rejected_put_changes_nothing(
    client: TestClient, field: str, value: object, error_type: str
) -> None:
    before = create_todo(client, title="kept", completed=False, priority=1)

    response = client.put(f"/todos/{before['id']}", json={**FULL_BODY, field: value})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body", field], error_type)]
    assert_unchanged(client, before)


@pytest.mark.parametrize(("field", "value", "error_type"), INVALID_FIELDS, ids=INVALID_IDS)
def test_patch_applies_the_create_rules_and_a_rejected_patch_changes_nothing(
    client: TestClient, field: str, value: object, error_type: str
) -> None:
    before = create_todo(client, title="kept", completed=False, priority=1)

    response = client.patch(f"/todos/{before['id']}", json={field: value})

    assert response.status_code == 422
    errors = error_locations_and_types(response.text)
    assert {tuple(loc[:2]) for loc, _type in errors} == {("body", field)}, errors
    assert error_type in {error for _loc, error in errors}, errors
    assert_unchanged(client, before)


@pytest.mark.parametrize(
    ("field", "value", "error_type"),
    [
        ("title", "a" * 201, "string_too_long"),
        ("completed", 1, "bool_type"),
        ("priority", 1.5, "int_type"),
    ],
    ids=["title-too-long", "completed-1", "priority-float"],
)
def test_a_rejected_patch_reports_one_error_at_the_field_just_as_post_and_put_do(
    client: TestClient, field: str, value: object, error_type: str
) -> None:
    """A bad PATCH value gets the same 422 as POST: not a second error asking for ``null``."""
    before = create_todo(client)

    response = client.patch(f"/todos/{before['id']}", json={field: value})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body", field], error_type)]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b'{"title":"a","completed":true,"priority":NaN}', ["body", "priority"]),
        (b'{"title":"\\udc00","completed":true,"priority":1}', ["body", "title"]),
    ],
    ids=["nan-priority", "lone-surrogate-title"],
)
def test_an_update_with_nan_or_a_lone_surrogate_is_rejected_with_strict_json(
    client: TestClient, method: str, raw: bytes, loc: list[str]
) -> None:
    before = create_todo(client)

    response = client.request(
        method,
        f"/todos/{before['id']}",
        content=raw,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    body = strict_json(response.content.decode("utf-8"))
    assert {tuple(error["loc"][:2]) for error in body["detail"]} == {tuple(loc)}, body
    assert_unchanged(client, before)


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("field", ["id", "created_at", "updated_at"])
def test_an_update_cannot_set_server_fields(client: TestClient, method: str, field: str) -> None:
    before = create_todo(client)

    response = update(client, method, before["id"], {**FULL_BODY, field: before[field]})

    assert response.status_code == 422
    assert error_locations_and_types(response.text) == [(["body", field], "extra_forbidden")]
    assert_unchanged(client, before)
