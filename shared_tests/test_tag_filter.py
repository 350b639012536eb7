"""``GET /todos?tag=NAME``: only the todos carrying the tag, in id order, paged and filtered.

The name goes through the same normalisation as in a body (stripped, ASCII letters
lower-cased), an invalid name is a 422, and the filter combines with ``completed``, ``limit``
and ``offset``: the page is taken from the todos carrying the tag, not the tag from a page.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo, error_locations_and_types


def ids(todos: list[dict[str, Any]]) -> list[int]:
    return [todo["id"] for todo in todos]


def listed(client: TestClient, **params: Any) -> list[int]:
    response = client.get("/todos", params=params)
    assert response.status_code == 200, response.text
    return ids(response.json())


@pytest.fixture
def tagged(client: TestClient) -> list[dict[str, Any]]:
    """Six todos: 1 home, 2 work, 3 home+work (done), 4 none, 5 home (done), 6 home-work."""
    return [
        create_todo(client, tags=["home"]),
        create_todo(client, tags=["work"]),
        create_todo(client, tags=["work", "home"], completed=True),
        create_todo(client),
        create_todo(client, tags=["home"], completed=True),
        create_todo(client, tags=["home-work"]),
    ]


def test_only_the_todos_carrying_the_tag_are_listed_in_id_order_with_all_their_tags(
    client: TestClient, tagged: list[dict[str, Any]]
) -> None:
    response = client.get("/todos", params={"tag": "home"})

    assert response.status_code == 200
    assert response.json() == [tagged[0], tagged[2], tagged[4]]
    assert listed(client, tag="work") == [2, 3]
    assert listed(client, tag="home-work") == [6]


def test_the_name_is_matched_whole_not_as_a_prefix_or_a_pattern(
    client: TestClient, tagged: list[dict[str, Any]]
) -> None:
    """``home`` does not match ``home-work``; ``_`` and ``-`` are literal characters, not LIKE
    wildcards."""
    create_todo(client, tags=["a_c"])
    create_todo(client, tags=["abc"])

    assert listed(client, tag="hom") == []
    assert listed(client, tag="a_c") == [7]
    assert listed(client, tag="abc") == [8]


@pytest.mark.parametrize("sent", ["HOME", " home ", "\tHoMe\n"])
def test_the_name_is_normalised_like_a_tag_in_a_body(
    client: TestClient, tagged: list[dict[str, Any]], sent: str
) -> None:
    assert listed(client, tag=sent) == [1, 3, 5]


def test_a_tag_nobody_carries_lists_nothing(
    client: TestClient, tagged: list[dict[str, Any]]
) -> None:
    assert listed(client, tag="never-used") == []


def test_a_tag_whose_last_todo_was_deleted_lists_nothing(client: TestClient) -> None:
    todo = create_todo(client, tags=["gone"])
    client.delete(f"/todos/{todo['id']}")

    assert listed(client, tag="gone") == []


def test_a_retagged_todo_is_listed_under_its_new_tag_only(
    client: TestClient, tagged: list[dict[str, Any]]
) -> None:
    client.patch("/todos/1", json={"tags": ["garden"]})

    assert listed(client, tag="home") == [3, 5]
    assert listed(client, tag="garden") == [1]


@pytest.mark.parametrize(
    ("completed", "expected"), [("true", [3, 5]), ("false", [1])], ids=["done", "pending"]
)
def test_the_tag_combines_with_completed(
    client: TestClient, tagged: list[dict[str, Any]], completed: str, expected: list[int]
) -> None:
    assert listed(client, tag="home", completed=completed) == expected


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [(1, 0, [1]), (2, 1, [3, 5]), (100, 2, [5]), (1, 3, [])],
    ids=["first", "middle", "last", "past-the-end"],
)
def test_limit_and_offset_page_through_the_todos_carrying_the_tag(
    client: TestClient,
    tagged: list[dict[str, Any]],
    limit: int,
    offset: int,
    expected: list[int],
) -> None:
    assert listed(client, tag="home", limit=limit, offset=offset) == expected


def test_tag_completed_limit_and_offset_all_combine(
    client: TestClient, tagged: list[dict[str, Any]]
) -> None:
    assert listed(client, tag="home", completed="true", limit=1, offset=1) == [5]


@pytest.mark.parametrize(
    "name",
    ["", " ", "a b", "h\u00f6me", "\u212aey", "a/b", "a.b", "a" * 33, "%", "*", "home,work"],
    ids=[
        "empty",
        "whitespace-only",
        "inner-space",
        "non-ascii-letter",
        "kelvin-sign",
        "slash",
        "dot",
        "33-characters",
        "percent",
        "star",
        "comma-list",
    ],
)
def test_an_invalid_tag_name_in_the_query_is_422(
    client: TestClient, tagged: list[dict[str, Any]], name: str
) -> None:
    """An empty ``tag=`` is refused like any invalid name rather than read as "no filter"."""
    response = client.get("/todos", params={"tag": name})

    assert response.status_code == 422, response.text
    assert error_locations_and_types(response.text)[0][0] == ["query", "tag"]


def test_the_largest_valid_name_in_the_query_is_accepted(client: TestClient) -> None:
    create_todo(client, tags=["z" * 32])

    assert listed(client, tag="Z" * 32) == [1]
