"""``GET /tags``: every tag some todo carries, with how many carry it, by name, paged.

Ordered by code point whatever the database's collation (``-`` < ``0`` < ``_`` < ``a``),
``limit`` 1–1000 (default 100) and ``offset`` ≥ 0 as on ``/todos``, and only tags that at
least one todo carries right now: a tag whose last todo dropped it or was deleted is gone.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo, error_locations_and_types


def tag_list(client: TestClient, **params: int) -> list[dict[str, object]]:
    response = client.get("/tags", params=params)
    assert response.status_code == 200, response.text
    body: list[dict[str, object]] = response.json()
    return body


def names(client: TestClient, **params: int) -> list[object]:
    return [entry["name"] for entry in tag_list(client, **params)]


def test_no_todos_means_no_tags(client: TestClient) -> None:
    response = client.get("/tags")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == []


def test_each_tag_is_listed_once_with_how_many_todos_carry_it(client: TestClient) -> None:
    create_todo(client, tags=["home", "work"])
    create_todo(client, tags=["home"])
    create_todo(client, tags=["home", "errand"])
    create_todo(client)

    assert tag_list(client) == [
        {"name": "errand", "todos": 1},
        {"name": "home", "todos": 3},
        {"name": "work", "todos": 1},
    ]


def test_tags_are_ordered_by_code_point_not_by_the_database_collation(
    client: TestClient,
) -> None:
    """A locale collation skips punctuation (``-y`` would sort after ``0z``, ``_x`` among the
    x's) or puts ``_`` after the letters and digits; the contract's order is the code points'."""
    create_todo(client, tags=["b", "_x", "-y", "0z", "a", "a-", "a_", "a0"])

    assert names(client) == ["-y", "0z", "_x", "a", "a-", "a0", "a_", "b"]


def test_a_todo_listing_a_tag_twice_counts_once(client: TestClient) -> None:
    create_todo(client, tags=["home", "HOME", " home"])

    assert tag_list(client) == [{"name": "home", "todos": 1}]


def test_a_tag_dropped_by_its_last_todo_is_no_longer_listed(client: TestClient) -> None:
    todo = create_todo(client, tags=["home", "work"])
    create_todo(client, tags=["work"])

    client.patch(f"/todos/{todo['id']}", json={"tags": ["work"]})

    assert tag_list(client) == [{"name": "work", "todos": 2}]


def test_a_tag_whose_last_todo_was_deleted_is_no_longer_listed(client: TestClient) -> None:
    todo = create_todo(client, tags=["home", "work"])
    create_todo(client, tags=["work"])

    assert client.delete(f"/todos/{todo['id']}").status_code == 204

    assert tag_list(client) == [{"name": "work", "todos": 1}]


def test_the_counts_follow_put_and_patch(client: TestClient) -> None:
    first = create_todo(client, tags=["a"])
    second = create_todo(client, tags=["a"])
    client.put(
        f"/todos/{first['id']}",
        json={"title": "t", "completed": False, "priority": 0, "tags": ["a", "b"]},
    )
    client.patch(f"/todos/{second['id']}", json={"tags": ["b", "c"]})

    assert tag_list(client) == [
        {"name": "a", "todos": 1},
        {"name": "b", "todos": 2},
        {"name": "c", "todos": 1},
    ]


def test_the_default_page_is_the_first_100_tags(client: TestClient) -> None:
    everything = [f"t{number:03}" for number in range(105)]
    for start in range(0, 105, 20):
        create_todo(client, tags=everything[start : start + 20])

    assert names(client) == everything[:100]
    assert names(client, limit=1000) == everything


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [(1, 0, ["a"]), (2, 1, ["b", "c"]), (1000, 3, ["d"]), (1, 4, []), (1, 2**63 - 1, [])],
    ids=["first", "middle", "last", "past-the-end", "largest-offset"],
)
def test_limit_and_offset_page_through_the_tags_by_name(
    client: TestClient, limit: int, offset: int, expected: list[str]
) -> None:
    create_todo(client, tags=["d", "b"])
    create_todo(client, tags=["c", "a"])

    assert names(client, limit=limit, offset=offset) == expected


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        (f"offset={2**63}", "offset"),
        ("offset=x", "offset"),
    ],
)
def test_a_limit_or_offset_out_of_range_is_422(
    client: TestClient, query: str, location: str
) -> None:
    response = client.get(f"/tags?{query}")

    assert response.status_code == 422, response.text
    assert error_locations_and_types(response.text)[0][0] == ["query", location]
