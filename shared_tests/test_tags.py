"""Tags on todos (CONTRACT.md, "Tags"): the ``tags`` field, its rules and how writes change it.

Every Todo response carries ``tags``, a set shown as an array in code point order whatever the
database's collation would sort; names are normalised (surrounding whitespace stripped, ASCII
letters lower-cased) and duplicates collapse. POST defaults to none, PUT replaces the set only
when it sends one, PATCH replaces it and refuses ``null``, and a change of tags is an update.
Filtering by tag is in ``test_tag_filter.py``, ``GET /tags`` in ``test_tag_counts.py``, refused
names and lists in ``test_tag_hostile_input.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo, error_locations_and_types, parse_timestamp

UNSORTED = ["b", "_x", "-y", "0z", "a"]
CODE_POINT_ORDER = ["-y", "0z", "_x", "a", "b"]
"""``-`` (U+002D) < ``0`` (U+0030) < ``_`` (U+005F) < ``a`` (U+0061). A locale collation
ignores punctuation or puts ``_`` after the letters; the contract's order is the code points'."""

FULL_BODY: dict[str, Any] = {"title": "a todo", "completed": False, "priority": 0}


def every_view_of(client: TestClient, todo_id: int) -> list[dict[str, Any]]:
    """The todo as ``GET /todos/{id}`` and as the list show it."""
    fetched = client.get(f"/todos/{todo_id}")
    assert fetched.status_code == 200, fetched.text
    listed = [todo for todo in client.get("/todos").json() if todo["id"] == todo_id]
    assert len(listed) == 1
    return [fetched.json(), listed[0]]


def tags_everywhere(client: TestClient, todo_id: int) -> list[list[str]]:
    return [todo["tags"] for todo in every_view_of(client, todo_id)]


# --- the field ----------------------------------------------------------------------------


def test_a_todo_created_without_tags_has_an_empty_list_everywhere(client: TestClient) -> None:
    created = create_todo(client)

    assert created["tags"] == []
    assert tags_everywhere(client, created["id"]) == [[], []]


def test_tags_come_back_in_code_point_order_from_create_get_and_list(
    client: TestClient,
) -> None:
    """Stored in another order than sent, read back through a database whose collation may
    sort otherwise: every response shows ``-`` < ``0`` < ``_`` < ``a``."""
    created = create_todo(client, tags=UNSORTED)

    assert created["tags"] == CODE_POINT_ORDER
    assert tags_everywhere(client, created["id"]) == [CODE_POINT_ORDER, CODE_POINT_ORDER]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_tags_come_back_in_code_point_order_from_put_and_patch(
    client: TestClient, method: str
) -> None:
    todo = create_todo(client, tags=["z"])
    body = {**FULL_BODY, "tags": UNSORTED} if method == "PUT" else {"tags": UNSORTED}

    response = client.request(method, f"/todos/{todo['id']}", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == CODE_POINT_ORDER
    assert tags_everywhere(client, todo["id"]) == [CODE_POINT_ORDER, CODE_POINT_ORDER]


def test_every_todo_in_a_list_carries_its_own_tags(client: TestClient) -> None:
    """Tags are attached to the right todo, not to a neighbour in the page."""
    sets = [["home"], [], ["work", "home"], ["errand"]]
    for tags in sets:
        create_todo(client, tags=tags)

    listed = client.get("/todos").json()

    assert [todo["tags"] for todo in listed] == [sorted(tags) for tags in sets]


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (["  home  "], ["home"]),
        (["\thome\n"], ["home"]),
        (["\u3000home\xa0"], ["home"]),
        (["HOME"], ["home"]),
        (["Home-Work_2"], ["home-work_2"]),
        (["home", "HOME", " home "], ["home"]),
        (["b", "a", "B", "A"], ["a", "b"]),
    ],
    ids=[
        "spaces",
        "tab-and-newline",
        "unicode-spaces",
        "upper-case",
        "mixed-case-with-digit-dash-underscore",
        "duplicates-after-normalising",
        "duplicates-in-two-cases",
    ],
)
def test_tags_are_stripped_lower_cased_and_collapsed_before_they_are_stored(
    client: TestClient, sent: list[str], stored: list[str]
) -> None:
    created = create_todo(client, tags=sent)

    assert created["tags"] == stored
    assert tags_everywhere(client, created["id"]) == [stored, stored]


def test_a_tag_of_1_and_of_32_characters_is_accepted_also_with_whitespace_around_it(
    client: TestClient,
) -> None:
    """The length is counted after stripping: 32 characters between spaces are 32."""
    created = create_todo(client, tags=["x", "a" * 32, " " + "B" * 32 + "\t"])

    assert created["tags"] == ["a" * 32, "b" * 32, "x"]


def test_twenty_tags_are_accepted(client: TestClient) -> None:
    tags = [f"tag{number:02}" for number in range(20)]

    created = create_todo(client, tags=tags)

    assert created["tags"] == tags
    assert tags_everywhere(client, created["id"]) == [tags, tags]


# --- POST, PUT, PATCH ---------------------------------------------------------------------


def test_put_with_tags_replaces_the_whole_set(client: TestClient) -> None:
    todo = create_todo(client, tags=["home", "work"])

    response = client.put(f"/todos/{todo['id']}", json={**FULL_BODY, "tags": ["work", "gym"]})

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["gym", "work"]
    assert tags_everywhere(client, todo["id"]) == [["gym", "work"], ["gym", "work"]]


def test_put_with_an_empty_list_removes_every_tag(client: TestClient) -> None:
    todo = create_todo(client, tags=["home", "work"])

    response = client.put(f"/todos/{todo['id']}", json={**FULL_BODY, "tags": []})

    assert response.json()["tags"] == []
    assert tags_everywhere(client, todo["id"]) == [[], []]


def test_put_without_tags_keeps_them_and_changes_the_other_fields(client: TestClient) -> None:
    """A client written before tags existed sends title, completed and priority only: it must
    not wipe the tags another client set."""
    todo = create_todo(client, tags=["home", "work"])
    replaced = {"title": "older client", "completed": True, "priority": 7}

    response = client.put(f"/todos/{todo['id']}", json=replaced)

    assert response.status_code == 200, response.text
    assert response.json() | replaced == response.json()
    assert response.json()["tags"] == ["home", "work"]
    assert tags_everywhere(client, todo["id"]) == [["home", "work"], ["home", "work"]]


def test_patch_with_tags_replaces_the_set_and_keeps_the_other_fields(client: TestClient) -> None:
    todo = create_todo(client, title="kept", completed=True, priority=4, tags=["home", "work"])

    response = client.patch(f"/todos/{todo['id']}", json={"tags": ["gym"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tags"] == ["gym"]
    assert (body["title"], body["completed"], body["priority"]) == ("kept", True, 4)


def test_patch_without_tags_keeps_them(client: TestClient) -> None:
    todo = create_todo(client, tags=["home"])

    response = client.patch(f"/todos/{todo['id']}", json={"completed": True})

    assert response.json()["tags"] == ["home"]
    assert tags_everywhere(client, todo["id"]) == [["home"], ["home"]]


def test_patch_with_an_empty_list_removes_every_tag(client: TestClient) -> None:
    todo = create_todo(client, tags=["home", "work"])

    response = client.patch(f"/todos/{todo['id']}", json={"tags": []})

    assert response.json()["tags"] == []
    assert tags_everywhere(client, todo["id"]) == [[], []]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_tags_null_is_refused_and_changes_nothing(client: TestClient, method: str) -> None:
    """``null`` is not a value for any field; for tags it would be ambiguous besides
    (none? unchanged?)."""
    todo = create_todo(client, tags=["home"])
    path = "/todos" if method == "POST" else f"/todos/{todo['id']}"
    body = {"tags": None} if method == "PATCH" else {**FULL_BODY, "tags": None}

    response = client.request(method, path, json=body)

    assert response.status_code == 422, response.text
    [(loc, _type)] = error_locations_and_types(response.text)
    assert loc == ["body", "tags"]
    assert client.get("/todos").json() == [todo]


# --- a change of tags is an update --------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_changing_only_the_tags_moves_updated_at_and_the_etag(
    client: TestClient, method: str
) -> None:
    created = client.post("/todos", json={**FULL_BODY, "tags": ["home"]})
    todo = created.json()
    body = {**FULL_BODY, "tags": ["work"]} if method == "PUT" else {"tags": ["work"]}

    response = client.request(method, f"/todos/{todo['id']}", json=body)

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed == todo | {"tags": ["work"], "updated_at": changed["updated_at"]}
    assert parse_timestamp(changed["updated_at"]) > parse_timestamp(todo["updated_at"])
    assert response.headers["ETag"] != created.headers["ETag"]
    fetched = client.get(f"/todos/{todo['id']}")
    assert fetched.json() == changed
    assert fetched.headers["ETag"] == response.headers["ETag"]


def test_the_etag_read_before_a_tag_change_no_longer_matches(client: TestClient) -> None:
    """A client that read the todo, then saw someone else re-tag it, gets 412, not a silent
    overwrite of the other's tags."""
    created = client.post("/todos", json={"title": "shared", "tags": ["home"]})
    path = f"/todos/{created.json()['id']}"
    assert client.patch(path, json={"tags": ["work"]}).status_code == 200

    stale = client.patch(
        path, json={"tags": ["gym"]}, headers={"If-Match": created.headers["ETag"]}
    )

    assert stale.status_code == 412, stale.text
    assert client.get(path).json()["tags"] == ["work"]


# --- delete, count, other methods ---------------------------------------------------------


def test_deleting_a_todo_detaches_its_tags_and_leaves_the_others_tags_alone(
    client: TestClient,
) -> None:
    doomed = create_todo(client, tags=["home", "only-here"])
    kept = create_todo(client, tags=["home"])

    assert client.delete(f"/todos/{doomed['id']}").status_code == 204

    assert client.get("/tags").json() == [{"name": "home", "todos": 1}]
    assert client.get("/todos?tag=only-here").json() == []
    assert client.get(f"/todos/{kept['id']}").json()["tags"] == ["home"]


def test_a_tag_is_listed_again_when_a_todo_carries_it_again(client: TestClient) -> None:
    """A tag no todo carries disappears from /tags; using the name again brings it back."""
    first = create_todo(client, tags=["home"])
    client.delete(f"/todos/{first['id']}")
    assert client.get("/tags").json() == []

    again = create_todo(client, tags=["home"])

    assert again["tags"] == ["home"]
    assert client.get("/tags").json() == [{"name": "home", "todos": 1}]


def test_the_count_is_unchanged_by_tags(client: TestClient) -> None:
    """``/todos/count`` counts todos, never tags or tag associations."""
    create_todo(client, tags=[f"t{n}" for n in range(20)])
    create_todo(client, completed=True, tags=["t1", "t2"])
    create_todo(client)

    response = client.get("/todos/count")

    assert response.status_code == 200
    assert response.json() == {"total": 3, "completed": 1, "pending": 2}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_tags_get_405_listing_get_and_head(
    client: TestClient, method: str
) -> None:
    """The contract says ``Allow: GET``; HEAD is answered wherever GET is and ``Allow`` lists
    it (CONTRACT.md, "Added with the failures issue"), so the header is ``GET, HEAD``."""
    response = client.request(method, "/tags")

    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json() == {"detail": "Method Not Allowed"}


def test_head_on_tags_answers_like_get_without_a_body(client: TestClient) -> None:
    create_todo(client, tags=["home"])

    got, head = client.get("/tags"), client.head("/tags")

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_tags_that_read_as_numbers_or_json_literals_come_back_as_the_same_strings(
    client: TestClient,
) -> None:
    """A database aggregating the names into JSON or an array must still hand back strings:
    ``123`` stays ``"123"``, ``null`` stays ``"null"``, ``007`` keeps its zeros."""
    tags = ["-1", "007", "123", "1e5", "false", "nan", "null", "true"]

    created = create_todo(client, tags=list(reversed(tags)))

    assert created["tags"] == tags
    assert tags_everywhere(client, created["id"]) == [tags, tags]
    assert client.get("/todos", params={"tag": "null"}).json() == [created]
    assert [tag["name"] for tag in client.get("/tags").json()] == tags
