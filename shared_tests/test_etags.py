"""Optimistic concurrency: ``ETag`` on every todo, ``If-Match`` → 412 on PUT, PATCH and DELETE.

A client that sends back the ETag it read changes the todo only if nobody changed it in
between; without ``If-Match`` the routes behave as they always did.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo

STRONG_ETAG = re.compile(r'"[0-9a-f]{16}"')
WRITES: list[tuple[str, dict[str, Any] | None]] = [
    ("PUT", {"title": "replaced", "completed": True, "priority": 3}),
    ("PATCH", {"completed": True}),
    ("DELETE", None),
]
WRITE_IDS = [method for method, _ in WRITES]


def etag_of(client: TestClient, todo_id: int) -> str:
    response = client.get(f"/todos/{todo_id}")
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def write(
    client: TestClient, method: str, body: dict[str, Any] | None, todo_id: int, if_match: str
) -> Any:
    return client.request(method, f"/todos/{todo_id}", json=body, headers={"If-Match": if_match})


def test_every_todo_response_carries_a_strong_etag(client: TestClient) -> None:
    created = client.post("/todos", json={"title": "tagged"})
    todo_id = created.json()["id"]
    responses = {
        "POST": created,
        "GET": client.get(f"/todos/{todo_id}"),
        "PUT": client.put(
            f"/todos/{todo_id}", json={"title": "t", "completed": False, "priority": 0}
        ),
        "PATCH": client.patch(f"/todos/{todo_id}", json={"priority": 9}),
    }
    for method, response in responses.items():
        assert response.status_code in (200, 201), (method, response.text)
        assert STRONG_ETAG.fullmatch(response.headers["ETag"]), (method, response.headers)


def test_the_etag_of_a_write_is_the_etag_a_later_get_returns(client: TestClient) -> None:
    created = client.post("/todos", json={"title": "v1"})
    todo_id = created.json()["id"]
    assert created.headers["ETag"] == etag_of(client, todo_id)

    patched = client.patch(f"/todos/{todo_id}", json={"title": "v2"})
    assert patched.headers["ETag"] == etag_of(client, todo_id)


def test_the_etag_changes_on_every_update_and_differs_between_todos(
    client: TestClient,
) -> None:
    first = create_todo(client, title="same")
    second = create_todo(client, title="same")
    seen = {etag_of(client, first["id"]), etag_of(client, second["id"])}
    for priority in range(3):
        response = client.patch(f"/todos/{first['id']}", json={"priority": priority})
        seen.add(response.headers["ETag"])
    assert len(seen) == 5, "every version of every todo has its own tag"


def test_reading_does_not_change_the_etag(client: TestClient) -> None:
    todo = create_todo(client)
    assert etag_of(client, todo["id"]) == etag_of(client, todo["id"])


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_a_write_with_the_current_etag_succeeds(
    client: TestClient, method: str, body: dict[str, Any] | None
) -> None:
    todo = create_todo(client)
    response = write(client, method, body, todo["id"], etag_of(client, todo["id"]))
    assert response.status_code == (204 if method == "DELETE" else 200), response.text


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_a_write_with_an_outdated_etag_gets_412_and_changes_nothing(
    client: TestClient, method: str, body: dict[str, Any] | None
) -> None:
    todo = create_todo(client, title="original")
    outdated = etag_of(client, todo["id"])
    current = client.patch(f"/todos/{todo['id']}", json={"priority": 1}).json()

    response = write(client, method, body, todo["id"], outdated)

    assert response.status_code == 412, response.text
    assert response.json() == {"detail": f"Todo {todo['id']} has changed; fetch it again and retry"}
    assert client.get(f"/todos/{todo['id']}").json() == current


def test_of_two_clients_editing_from_the_same_read_only_the_first_wins(
    client: TestClient,
) -> None:
    todo = create_todo(client, title="shared", priority=0)
    seen_by_both = etag_of(client, todo["id"])

    alice = write(client, "PATCH", {"title": "alice's"}, todo["id"], seen_by_both)
    bob = write(client, "PATCH", {"priority": 5}, todo["id"], seen_by_both)

    assert alice.status_code == 200
    assert bob.status_code == 412
    retried = write(client, "PATCH", {"priority": 5}, todo["id"], etag_of(client, todo["id"]))
    assert retried.status_code == 200
    final = client.get(f"/todos/{todo['id']}").json()
    assert (final["title"], final["priority"]) == ("alice's", 5)


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_if_match_star_matches_any_version_of_an_existing_todo(
    client: TestClient, method: str, body: dict[str, Any] | None
) -> None:
    todo = create_todo(client)
    response = write(client, method, body, todo["id"], "*")
    assert response.status_code in (200, 204), response.text


def test_if_match_with_a_list_succeeds_when_one_tag_is_current(client: TestClient) -> None:
    todo = create_todo(client)
    tags = f'"0000000000000000", {etag_of(client, todo["id"])}'
    assert write(client, "PATCH", {"completed": True}, todo["id"], tags).status_code == 200


def test_a_weak_etag_never_matches(client: TestClient) -> None:
    todo = create_todo(client)
    weak = f"W/{etag_of(client, todo['id'])}"
    assert write(client, "PATCH", {"completed": True}, todo["id"], weak).status_code == 412


@pytest.mark.parametrize("if_match", ["", "not-a-tag", '"unterminated'])
def test_a_malformed_if_match_matches_nothing(client: TestClient, if_match: str) -> None:
    todo = create_todo(client)
    response = write(client, "PATCH", {"completed": True}, todo["id"], if_match)
    assert response.status_code == 412, response.text
    assert client.get(f"/todos/{todo['id']}").json() == todo


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_a_missing_todo_is_404_whatever_the_precondition(
    client: TestClient, method: str, body: dict[str, Any] | None
) -> None:
    for if_match in ("*", '"0000000000000000"'):
        response = write(client, method, body, 999, if_match)
        assert response.status_code == 404, (if_match, response.text)


def test_an_invalid_body_is_422_before_the_precondition_is_checked(client: TestClient) -> None:
    todo = create_todo(client)
    response = write(client, "PATCH", {"completed": "yes"}, todo["id"], '"0000000000000000"')
    assert response.status_code == 422


def test_the_openapi_document_describes_etag_if_match_and_412(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    item = paths["/todos/{todo_id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/todos"]["post"]["responses"]["201"]["headers"]
    for method in ("put", "patch", "delete"):
        parameters = {parameter["name"]: parameter for parameter in item[method]["parameters"]}
        assert parameters["If-Match"]["in"] == "header"
        assert parameters["If-Match"]["required"] is False
        assert "412" in item[method]["responses"]
