"""Reading todos: one by id, the filtered and paged list, and the counts.

Covers ``GET /todos/{id}`` (found, 404 body, the id range every ``/todos/{id}`` route enforces),
``GET /todos`` (ordering, the ``completed`` filter, ``limit`` and ``offset`` and their bounds)
and ``GET /todos/count`` — each on an empty database and after writes.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

MAX_ID = 2**63 - 1

BAD_IDS: list[int | str] = [0, -1, 2**63, 10**30, "abc", "1.5", "1e3", "1.0", "+1", "1_0", "%201"]
ID_ROUTE_METHODS = ["GET", "PUT", "PATCH", "DELETE"]
VALID_BODY_FOR: dict[str, dict[str, Any] | None] = {
    "GET": None,
    "PUT": {"title": "Replaced", "completed": True, "priority": 1},
    "PATCH": {"completed": True},
    "DELETE": None,
}


def create_todo(
    client: TestClient, title: str, *, completed: bool = False, priority: int = 0
) -> dict[str, Any]:
    """POST a todo and return the created body (asserting the 201)."""
    response = client.post(
        "/todos", json={"title": title, "completed": completed, "priority": priority}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_todos(client: TestClient, count: int, *, completed: bool = False) -> list[int]:
    """Create ``count`` todos through the API and return their ids in creation order."""
    return [
        create_todo(client, f"todo {number}", completed=completed)["id"] for number in range(count)
    ]


def list_ids(client: TestClient, query: str = "") -> list[int]:
    """The ids ``GET /todos{query}`` returns, asserting a 200."""
    response = client.get(f"/todos{query}")
    assert response.status_code == 200, response.text
    return [todo["id"] for todo in response.json()]


def assert_query_error(response: httpx2.Response, field: str) -> None:
    """A 422 in FastAPI's shape, blaming the query parameter ``field``."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert [error["loc"] for error in detail] == [["query", field]]


# --- GET /todos/{id} ---------------------------------------------------------------------------


def test_a_created_todo_can_be_read_back_by_its_id(client: TestClient) -> None:
    created = create_todo(client, "Buy milk", completed=True, priority=3)

    response = client.get(f"/todos/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert set(created) == {
        "id",
        "title",
        "completed",
        "priority",
        "tags",
        "created_at",
        "updated_at",
    }
    assert (created["title"], created["completed"], created["priority"]) == ("Buy milk", True, 3)


def test_reading_a_todo_returns_that_todo_and_not_another(client: TestClient) -> None:
    first = create_todo(client, "first")
    second = create_todo(client, "second", completed=True)

    assert client.get(f"/todos/{first['id']}").json() == first
    assert client.get(f"/todos/{second['id']}").json() == second


def test_a_missing_todo_is_a_404_naming_its_id(client: TestClient) -> None:
    response = client.get("/todos/42")

    assert response.status_code == 404
    assert response.json() == {"detail": "Todo 42 not found"}


def test_a_deleted_todo_can_no_longer_be_read(client: TestClient) -> None:
    todo_id = create_todo(client, "short-lived")["id"]
    assert client.delete(f"/todos/{todo_id}").status_code == 204

    response = client.get(f"/todos/{todo_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"Todo {todo_id} not found"}


@pytest.mark.parametrize("method", ID_ROUTE_METHODS)
@pytest.mark.parametrize("bad_id", BAD_IDS, ids=str)
def test_an_id_that_is_not_a_plain_integer_in_1_to_2_63_minus_1_is_rejected_everywhere(
    client: TestClient, method: str, bad_id: int | str
) -> None:
    create_todo(client, "untouched")

    response = client.request(method, f"/todos/{bad_id}", json=VALID_BODY_FOR[method])

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert [error["loc"] for error in detail] == [["path", "todo_id"]]
    assert client.get("/todos/count").json() == {"total": 1, "completed": 0, "pending": 1}


@pytest.mark.parametrize("method", ID_ROUTE_METHODS)
def test_the_largest_valid_id_is_a_plain_404_on_every_id_route(
    client: TestClient, method: str
) -> None:
    response = client.request(method, f"/todos/{MAX_ID}", json=VALID_BODY_FOR[method])

    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Todo {MAX_ID} not found"}


# --- GET /todos --------------------------------------------------------------------------------


def test_the_list_of_an_empty_database_is_an_empty_array(client: TestClient) -> None:
    response = client.get("/todos")

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["content-type"] == "application/json"


def test_the_list_holds_every_todo_in_full_ordered_by_id(client: TestClient) -> None:
    created = [create_todo(client, f"todo {n}", completed=n % 2 == 0) for n in range(5)]

    response = client.get("/todos")

    assert response.status_code == 200
    assert response.json() == sorted(created, key=lambda todo: todo["id"])
    ids = [todo["id"] for todo in created]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_the_list_stays_ordered_by_id_after_an_update_and_a_delete(client: TestClient) -> None:
    ids = create_todos(client, 4)
    assert client.patch(f"/todos/{ids[0]}", json={"title": "zzz changed last"}).status_code == 200
    assert client.delete(f"/todos/{ids[2]}").status_code == 204
    newest = create_todo(client, "newest")["id"]

    assert list_ids(client) == [ids[0], ids[1], ids[3], newest]


def test_completed_true_lists_only_completed_todos(client: TestClient) -> None:
    done_a = create_todo(client, "done a", completed=True)
    create_todo(client, "open a")
    done_b = create_todo(client, "done b", completed=True)
    create_todo(client, "open b")

    response = client.get("/todos?completed=true")

    assert response.status_code == 200
    assert response.json() == [done_a, done_b]


def test_completed_false_lists_only_pending_todos(client: TestClient) -> None:
    create_todo(client, "done a", completed=True)
    open_a = create_todo(client, "open a")
    create_todo(client, "done b", completed=True)
    open_b = create_todo(client, "open b")

    response = client.get("/todos?completed=false")

    assert response.status_code == 200
    assert response.json() == [open_a, open_b]


def test_the_completed_filter_follows_updates(client: TestClient) -> None:
    first, second = create_todos(client, 2)
    assert client.patch(f"/todos/{second}", json={"completed": True}).status_code == 200

    assert list_ids(client, "?completed=true") == [second]
    assert list_ids(client, "?completed=false") == [first]


def test_a_filter_that_matches_nothing_is_an_empty_array(client: TestClient) -> None:
    create_todos(client, 2)

    response = client.get("/todos?completed=true")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("value", ["yes", "1", "True", "", "null", "FALSE", "0", "on"])
def test_an_unknown_completed_value_is_rejected(client: TestClient, value: str) -> None:
    create_todo(client, "present", completed=True)

    response = client.get("/todos", params={"completed": value})

    assert_query_error(response, "completed")


def test_the_list_returns_at_most_100_todos_by_default(client: TestClient) -> None:
    ids = create_todos(client, 101)

    assert list_ids(client) == ids[:100]


def test_the_default_page_is_the_same_as_limit_100_offset_0(client: TestClient) -> None:
    create_todos(client, 101)

    assert list_ids(client) == list_ids(client, "?limit=100&offset=0")


@pytest.mark.parametrize(("limit", "expected_count"), [(1, 1), (2, 2), (1000, 3)])
def test_a_limit_from_1_to_1000_caps_the_page(
    client: TestClient, limit: int, expected_count: int
) -> None:
    ids = create_todos(client, 3)

    assert list_ids(client, f"?limit={limit}") == ids[:expected_count]


def test_a_limit_of_1000_returns_more_than_the_default_page(client: TestClient) -> None:
    ids = create_todos(client, 101)

    assert list_ids(client, "?limit=1000") == ids


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "x", "1.5", "", "1_0", "+5", "1.0"])
def test_a_limit_outside_1_to_1000_is_rejected(client: TestClient, limit: str) -> None:
    response = client.get("/todos", params={"limit": limit})

    assert_query_error(response, "limit")


def test_an_offset_skips_that_many_todos(client: TestClient) -> None:
    ids = create_todos(client, 5)

    assert list_ids(client, "?offset=0") == ids
    assert list_ids(client, "?offset=2") == ids[2:]
    assert list_ids(client, "?offset=5") == []


def test_limit_and_offset_page_through_the_list(client: TestClient) -> None:
    ids = create_todos(client, 7)

    pages = [list_ids(client, f"?limit=3&offset={offset}") for offset in (0, 3, 6, 9)]

    assert pages == [ids[0:3], ids[3:6], ids[6:7], []]


@pytest.mark.parametrize("offset", ["-1", "x", "1.5", "+1", "1_0", "1.0"])
def test_an_offset_that_is_not_a_non_negative_integer_is_rejected(
    client: TestClient, offset: str
) -> None:
    response = client.get("/todos", params={"offset": offset})

    assert_query_error(response, "offset")


def test_a_huge_offset_is_an_empty_page_not_an_error(client: TestClient) -> None:
    create_todos(client, 2)

    response = client.get(f"/todos?offset={MAX_ID}")

    assert response.status_code == 200, response.text
    assert response.json() == []


def test_an_offset_past_int64_is_rejected(client: TestClient) -> None:
    response = client.get(f"/todos?offset={2**63}")

    assert_query_error(response, "offset")


def test_limit_offset_and_completed_combine(client: TestClient) -> None:
    ids = [create_todo(client, f"todo {n}", completed=n % 2 == 0)["id"] for n in range(9)]
    done, pending = ids[0::2], ids[1::2]  # 5 completed, 4 pending, interleaved

    assert list_ids(client, "?completed=true&limit=2&offset=1") == done[1:3]
    assert list_ids(client, "?completed=true&limit=10&offset=3") == done[3:]
    assert list_ids(client, "?offset=3&completed=false&limit=1") == pending[3:4]
    assert list_ids(client, "?completed=false&limit=3") == pending[:3]
    assert list_ids(client, "?completed=true&offset=5") == []


def test_paging_applies_after_the_completed_filter(client: TestClient) -> None:
    pending = create_todos(client, 3)
    done = create_todos(client, 3, completed=True)

    assert list_ids(client, "?completed=false&limit=2&offset=1") == pending[1:3]
    assert list_ids(client, "?completed=true&limit=2") == done[:2]
    assert list_ids(client, "?completed=true&limit=2&offset=2") == done[2:]


# --- GET /todos/count --------------------------------------------------------------------------


def test_the_counts_of_an_empty_database_are_zero(client: TestClient) -> None:
    response = client.get("/todos/count")

    assert response.status_code == 200
    assert response.json() == {"total": 0, "completed": 0, "pending": 0}
    assert response.headers["content-type"] == "application/json"


def test_the_counts_split_todos_into_completed_and_pending(client: TestClient) -> None:
    create_todos(client, 3)
    create_todos(client, 2, completed=True)

    response = client.get("/todos/count")

    assert response.status_code == 200
    assert response.json() == {"total": 5, "completed": 2, "pending": 3}


def test_the_counts_follow_updates_and_deletes(client: TestClient) -> None:
    first, second, third = create_todos(client, 3)
    assert client.get("/todos/count").json() == {"total": 3, "completed": 0, "pending": 3}

    assert client.patch(f"/todos/{first}", json={"completed": True}).status_code == 200
    assert client.get("/todos/count").json() == {"total": 3, "completed": 1, "pending": 2}

    replacement = {"title": "replaced", "completed": True, "priority": 0}
    assert client.put(f"/todos/{second}", json=replacement).status_code == 200
    assert client.get("/todos/count").json() == {"total": 3, "completed": 2, "pending": 1}

    assert client.delete(f"/todos/{first}").status_code == 204
    assert client.get("/todos/count").json() == {"total": 2, "completed": 1, "pending": 1}

    assert client.patch(f"/todos/{second}", json={"completed": False}).status_code == 200
    assert client.delete(f"/todos/{third}").status_code == 204
    assert client.get("/todos/count").json() == {"total": 1, "completed": 0, "pending": 1}

    assert client.delete(f"/todos/{second}").status_code == 204
    assert client.get("/todos/count").json() == {"total": 0, "completed": 0, "pending": 0}


def test_the_counts_agree_with_the_filtered_lists(client: TestClient) -> None:
    create_todos(client, 4, completed=True)
    create_todos(client, 2)

    counts = client.get("/todos/count").json()

    assert counts == {
        "total": len(list_ids(client)),
        "completed": len(list_ids(client, "?completed=true")),
        "pending": len(list_ids(client, "?completed=false")),
    }
    assert counts == {"total": 6, "completed": 4, "pending": 2}


# --- Content-Type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected_status"),
    [
        ("/todos", 200),
        ("/todos/1", 200),
        ("/todos/count", 200),
        ("/todos?completed=true", 200),
        ("/todos/999", 404),
        ("/todos/abc", 422),
        ("/todos?limit=0", 422),
    ],
)
def test_read_responses_are_application_json(
    client: TestClient, path: str, expected_status: int
) -> None:
    create_todo(client, "one")

    response = client.get(path)

    assert response.status_code == expected_status
    assert response.headers["content-type"] == "application/json"
