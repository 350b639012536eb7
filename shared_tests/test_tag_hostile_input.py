"""Hostile tags: every refused name or list is a 422 on every write, and nothing is stored.

A tag is 1–32 of ``a``–``z``, ``0``–``9``, ``-``, ``_`` once surrounding whitespace is stripped
and ASCII letters lower-cased; a request's list holds at most 20 items. These send what a
broken client or an attacker would: one item too many, one character too long, characters that
a looser rule (Unicode lower-casing, NFKC, a LIKE pattern) would turn into valid names, values
of every other JSON type, and lists that are not lists. After each, the todo is unchanged (or
not created) and ``/tags`` lists only what was there before.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo, error_locations_and_types, strict_json

FULL_BODY: dict[str, Any] = {"title": "hostile", "completed": True, "priority": 1}
WRITES = ["POST", "PUT", "PATCH"]

BAD_NAMES = {
    "empty": "",
    "whitespace-only": " \t ",
    "inner-space": "a b",
    "e-acute": "caf\u00e9",
    "kelvin-sign": "\u212a",  # str.lower() gives "k": a Unicode lower-casing would accept it
    "kelvin-sign-in-a-word": "\u212aeys",
    "dotted-capital-i": "\u0130",  # str.lower() gives "i" and a combining dot
    "fullwidth-letters": "\uff48\uff4f\uff4d\uff45",  # NFKC gives "home"
    "zero-width-space": "home\u200b",  # not White_Space: not stripped
    "emoji": "\U0001f3e0",
    "slash": "a/b",
    "dot": "a.b",
    "colon": "a:b",
    "percent": "100%",
    "star": "*",
    "quote": "it's",
    "sql": "'; DROP TABLE tags; --",
    "nul": "home\x00",
    "control-inside": "ho\x1fme",
    "33-characters": "a" * 33,
    "33-after-stripping": "  " + "a" * 33 + "  ",
}
NOT_STRINGS: dict[str, Any] = {
    "integer": 1,
    "float": 1.5,
    "true": True,
    "null": None,
    "nested-list": ["home"],
    "object": {"name": "home"},
}
NOT_LISTS: dict[str, Any] = {
    "string": "home",
    "comma-separated-string": "home,work",
    "object": {"home": True},
    "integer": 1,
    "true": True,
}


class Before:
    """A tagged todo and the state a refused write must leave untouched."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.todo = create_todo(client, title="untouched", tags=["home", "work"])
        self.tags = client.get("/tags").json()

    def send(self, method: str, tags: Any) -> Any:
        """Send ``tags`` in a body that is otherwise valid for ``method``; expect a 422."""
        path = "/todos" if method == "POST" else f"/todos/{self.todo['id']}"
        body = {"tags": tags} if method == "PATCH" else {**FULL_BODY, "tags": tags}
        response = self.client.request(method, path, json=body)
        assert response.status_code == 422, (method, response.text)
        assert "Traceback" not in response.text
        return error_locations_and_types(response.text)

    def assert_unchanged(self) -> None:
        assert self.client.get("/todos").json() == [self.todo]
        assert self.client.get("/tags").json() == self.tags


@pytest.mark.parametrize("method", WRITES)
def test_twenty_one_tags_are_refused_and_twenty_accepted(client: TestClient, method: str) -> None:
    before = Before(client)
    twenty = [f"t{number:02}" for number in range(20)]

    errors = before.send(method, [*twenty, "t20"])

    assert errors == [(["body", "tags"], "too_long")]
    before.assert_unchanged()
    path = "/todos" if method == "POST" else f"/todos/{before.todo['id']}"
    body = {"tags": twenty} if method == "PATCH" else {**FULL_BODY, "tags": twenty}
    accepted = client.request(method, path, json=body)
    assert accepted.status_code in (200, 201), accepted.text
    assert accepted.json()["tags"] == twenty


@pytest.mark.parametrize("method", WRITES)
def test_twenty_one_copies_of_one_name_are_refused_though_they_collapse_into_one(
    client: TestClient, method: str
) -> None:
    """ "At most 20 items in the request's list; duplicates collapse into one": the limit is on
    the list sent, so 21 items are too many even when they would collapse into one tag. (The
    other reading would let a client send any number of copies for the server to process.)"""
    before = Before(client)

    errors = before.send(method, ["home"] * 21)

    assert errors == [(["body", "tags"], "too_long")]
    before.assert_unchanged()


@pytest.mark.parametrize("method", WRITES)
def test_twenty_items_that_collapse_into_fewer_tags_are_accepted(
    client: TestClient, method: str
) -> None:
    before = Before(client)
    path = "/todos" if method == "POST" else f"/todos/{before.todo['id']}"
    sent = ["home", "HOME", " home "] * 6 + ["Work", "work"]
    body = {"tags": sent} if method == "PATCH" else {**FULL_BODY, "tags": sent}

    response = client.request(method, path, json=body)

    assert response.status_code in (200, 201), response.text
    assert response.json()["tags"] == ["home", "work"]


@pytest.mark.parametrize("method", WRITES)
def test_a_name_outside_the_tag_alphabet_or_length_is_refused_and_changes_nothing(
    client: TestClient, method: str, subtests: pytest.Subtests
) -> None:
    before = Before(client)

    for name, bad in BAD_NAMES.items():
        with subtests.test(name=name):
            errors = before.send(method, ["fine", bad])

            assert [location for location, _type in errors] == [["body", "tags", 1]]
    before.assert_unchanged()


@pytest.mark.parametrize("method", WRITES)
def test_an_item_that_is_not_a_string_is_refused_and_changes_nothing(
    client: TestClient, method: str, subtests: pytest.Subtests
) -> None:
    before = Before(client)

    for name, item in NOT_STRINGS.items():
        with subtests.test(item=name):
            errors = before.send(method, ["fine", item])

            assert [location for location, _type in errors] == [["body", "tags", 1]]
    before.assert_unchanged()


@pytest.mark.parametrize("method", WRITES)
def test_tags_that_are_not_a_list_are_refused_and_change_nothing(
    client: TestClient, method: str, subtests: pytest.Subtests
) -> None:
    """Not even a single name as a string: ``"home"`` is not read as ``["home"]`` (nor as
    the list of its letters)."""
    before = Before(client)

    for name, tags in NOT_LISTS.items():
        with subtests.test(tags=name):
            errors = before.send(method, tags)

            assert [location for location, _type in errors] == [["body", "tags"]]
    before.assert_unchanged()


@pytest.mark.parametrize("method", WRITES)
def test_a_tag_with_a_lone_surrogate_is_refused_with_a_strict_json_body(
    client: TestClient, method: str
) -> None:
    before = Before(client)
    path = "/todos" if method == "POST" else f"/todos/{before.todo['id']}"
    prefix = b"{" if method == "PATCH" else b'{"title": "a", "completed": true, "priority": 1, '
    raw = prefix + b'"tags": ["\\ud800"]}'

    response = client.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    strict_json(response.text)
    before.assert_unchanged()


def test_one_bad_name_among_many_new_ones_creates_none_of_them(client: TestClient) -> None:
    """Validation happens before any SQL: the valid new names of a refused request are not
    left behind in ``tags`` (they would show up as soon as one todo carried them)."""
    before = Before(client)

    before.send("PATCH", ["new-one", "new-two", "bad name"])

    before.assert_unchanged()
    assert client.get("/todos", params={"tag": "new-one"}).json() == []
