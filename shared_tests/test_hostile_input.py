"""Hostile input: every case gets the contract's 4xx or round-trips exactly, and leaks nothing.

Complements the rule-by-rule tests (``test_create.py``, ``test_read.py``, ``test_update.py``,
``test_http_errors.py``) with what an attacker or a broken client sends: ids far past 2^63-1
and ids that only look numeric, every control character, titles that stress encodings, SQL in
bodies and query strings, and bad bodies of every kind. Each error body is checked for stack
traces, SQL, driver names and the database's URL or name (``assert_no_internals``), and the app
must still be healthy afterwards; the ``client`` fixture checks that no connection leaked.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from shared_tests.backends import fresh_engine
from shared_tests.helpers import (
    assert_no_internals,
    assert_still_healthy,
    create_todo,
    error_locations_and_types,
)

MAX_BODY_BYTES = 65_536
ID_ROUTES = ["GET", "PUT", "PATCH", "DELETE"]
VALID_BODY: dict[str, Any] = {"title": "replaced", "completed": True, "priority": 1}
WRITES = [("POST", "/todos"), ("PUT", "/todos/1"), ("PATCH", "/todos/1")]
CONTROL_CHARACTERS = [chr(code) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]

# Beyond test_read.BAD_IDS (0, -1, 2^63, 10^30, "abc", "1.5", "1e3", "1.0", "+1", "1_0", " 1").
HOSTILE_IDS = [
    str(2**64),
    "9" * 1000,
    "-0",
    "00",
    "0x10",
    "1e18",
    "\u0661\u0662",  # Arabic-Indic digits: str.isdigit() says yes
    "\uff11",  # fullwidth digit one
    "NaN",
    "Infinity",
    "null",
    "true",
    "1%00",
    "1%20OR%201=1",
    "1;DROP%20TABLE%20todos",
]

SQL_TEXTS = [
    "'; DROP TABLE todos; --",
    "Robert'); DROP TABLE todos;--",
    '" OR "1"="1',
    "1' OR '1'='1' /*",
    "x'); DELETE FROM todos WHERE ('1'='1",
    "\\'; SELECT pg_sleep(0); --",
    "%' UNION SELECT id, title FROM todos --",
    "`id`; TRUNCATE todos",
]
SQL_QUERIES = [
    "completed=true' OR '1'='1",
    "completed=false;DROP TABLE todos",
    "limit=1;DROP TABLE todos",
    "limit=1 OR 1=1",
    "offset=0)--",
    "offset=0 UNION SELECT 1",
]

ROUND_TRIP_TITLES = {
    "emoji-zwj-family": "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "flags-and-skin-tones": "\U0001f1ef\U0001f1f5 \U0001f44b\U0001f3fd",
    "rtl-override": "\u202eevil.exe\u202c and \u2067isolate\u2069",
    "arabic-with-marks": "\u0627\u0644\u0652\u0639\u064e\u0631\u064e\u0628\u0650\u064a",
    "zalgo": "Z" + "\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307" * 10,
    "nfd-not-normalised": "e\u0301 \u212b A\u030a",
    "200-four-byte": "\U00010348" * 200,
    "200-three-byte": "\u4e2d" * 200,
    "200-combining": "a\u0308" * 100,
    "inner-unicode-spaces": "a\u3000b\u2003c\xa0d",
    "byte-order-mark-kept": "\ufeffbom",
    "quotes-and-backslashes": "\"'\\`\\\\n \\u0000 %s %d {0} ${x}",
    "markup": "<script>alert(1)</script>&amp;",
    "json-in-a-string": '{"title": null, "id": 1}',
    "sql": SQL_TEXTS[0],
}


def raw_json_string(value: str) -> bytes:
    """How ``value`` appears in a response: a JSON string holding the raw UTF-8 bytes."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def test_ids_past_2_63_or_that_only_look_numeric_are_422_without_internals(
    app_client: TestClient, database_url: str, subtests: pytest.Subtests
) -> None:
    before = create_todo(app_client, title="untouched")

    for method in ID_ROUTES:
        body = VALID_BODY if method in ("PUT", "PATCH") else None
        for hostile_id in HOSTILE_IDS:
            with subtests.test(method=method, id=hostile_id[:20]):
                response = app_client.request(method, f"/todos/{hostile_id}", json=body)

                assert response.status_code == 422, response.text
                assert error_locations_and_types(response.text)[0][0] == ["path", "todo_id"]
                assert_no_internals(response, database_url)
    assert app_client.get("/todos").json() == [before]
    assert_still_healthy(app_client)


def test_every_control_character_in_a_title_is_refused_on_every_write(
    app_client: TestClient, database_url: str, subtests: pytest.Subtests
) -> None:
    before = create_todo(app_client, title="untouched")
    assert before["id"] == 1

    for method, path in WRITES:
        for control in CONTROL_CHARACTERS:
            with subtests.test(method=method, control=f"U+{ord(control):04X}"):
                title = f"a{control}b"
                response = app_client.request(method, path, json={**VALID_BODY, "title": title})

                assert response.status_code == 422, response.text
                assert error_locations_and_types(response.text) == [
                    (["body", "title"], "value_error")
                ]
                assert_no_internals(response, database_url)
    assert app_client.get("/todos").json() == [before]
    assert_still_healthy(app_client)


def test_a_title_of_unicode_whitespace_only_is_refused(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    for title in ["\u3000", "\xa0\u2003\u2028", " \x85 \t", "\u1680\u205f"]:
        with subtests.test(title=title):
            response = client.post("/todos", json={"title": title})

            assert response.status_code == 422, response.text
            assert error_locations_and_types(response.text) == [
                (["body", "title"], "string_too_short")
            ]
    assert client.get("/todos/count").json()["total"] == 0


def test_hostile_titles_round_trip_byte_for_byte_through_post_get_and_list(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    stored = []
    for name, title in ROUND_TRIP_TITLES.items():
        with subtests.test(title=name):
            assert 1 <= len(title) <= 200
            created = client.post("/todos", json={"title": title})
            assert created.status_code == 201, created.text
            stored.append(title)
            fetched = client.get(f"/todos/{created.json()['id']}")

            for response in (created, fetched):
                assert raw_json_string(title) in response.content
            assert fetched.json()["title"].encode("utf-8") == title.encode("utf-8")

    listed = client.get("/todos")
    for title in stored:
        assert raw_json_string(title) in listed.content
    assert [todo["title"].encode("utf-8") for todo in listed.json()] == [
        title.encode("utf-8") for title in ROUND_TRIP_TITLES.values()
    ]


def test_sql_in_bodies_is_stored_literally_and_in_queries_is_refused_and_the_table_survives(
    app_client: TestClient, database_url: str
) -> None:
    ids = [create_todo(app_client, title=text)["id"] for text in SQL_TEXTS]
    replaced = app_client.put(f"/todos/{ids[0]}", json={**VALID_BODY, "title": SQL_TEXTS[1]})
    patched = app_client.patch(f"/todos/{ids[1]}", json={"title": SQL_TEXTS[0]})
    assert (replaced.status_code, patched.status_code) == (200, 200)

    for query in SQL_QUERIES:
        response = app_client.get(f"/todos?{query}")
        assert response.status_code == 422, (query, response.text)
        assert_no_internals(response, database_url)

    expected = [SQL_TEXTS[1], SQL_TEXTS[0], *SQL_TEXTS[2:]]
    assert [todo["title"] for todo in app_client.get("/todos").json()] == expected
    assert app_client.get("/todos/count").json()["total"] == len(SQL_TEXTS)
    with fresh_engine(database_url) as engine:
        inspector = inspect(engine)
        assert "todos" in inspector.get_table_names()
        columns = {column["name"] for column in inspector.get_columns("todos")}
        assert columns == {"id", "title", "completed", "priority", "created_at", "updated_at"}
    assert_still_healthy(app_client)


# (name, body, content type, status). 400 means "400 or 422": the contract allows 400 for bytes
# that are not UTF-8, and FastAPI also answers 400 for JSON nested deeper than Python's parser
# recurses (valid JSON, but no app_client sends it by accident).
BAD_BODIES: list[tuple[str, bytes, str, int]] = [
    ("wrong-type-title", b'{"title": ["a"]}', "application/json", 422),
    ("wrong-type-completed", b'{"title": "a", "completed": "false"}', "application/json", 422),
    ("wrong-type-priority", b'{"title": "a", "priority": {"$gt": 0}}', "application/json", 422),
    ("unknown-field", b'{"title": "a", "__proto__": {"admin": true}}', "application/json", 422),
    ("deeply-nested", b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json", 400),
    ("duplicate-keys", b'{"title": 1, "title": 2, "title": []}', "application/json", 422),
    ("truncated", b'{"title": "a', "application/json", 422),
    ("nul-byte", b'{"title": "a"}\x00', "application/json", 422),
    ("not-utf8", b'{"title": "\xc0\xaf"}', "application/json", 400),
    ("xml", b"<todo><title>a</title></todo>", "application/xml", 422),
    ("form", b"title=a&completed=true", "application/x-www-form-urlencoded", 422),
    ("multipart", b"--x\r\n\r\na\r\n--x--", "multipart/form-data; boundary=x", 422),
    ("70-kib", b'{"title": "a", "pad": "' + b"x" * 70 * 1024 + b'"}', "application/json", 413),
]


def test_every_kind_of_bad_body_gets_its_4xx_without_internals_and_changes_nothing(
    app_client: TestClient, database_url: str, subtests: pytest.Subtests
) -> None:
    before = create_todo(app_client, title="untouched")

    for method, path in WRITES:
        for name, content, content_type, status in BAD_BODIES:
            with subtests.test(method=method, body=name):
                response = app_client.request(
                    method, path, content=content, headers={"content-type": content_type}
                )

                assert response.status_code in ((400, 422) if status == 400 else (status,)), (
                    response.text
                )
                assert response.headers["content-type"] == "application/json"
                assert_no_internals(response, database_url)
    assert app_client.get("/todos").json() == [before]
    assert_still_healthy(app_client)
