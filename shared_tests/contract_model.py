"""A tiny in-memory model of the API contract (``CONTRACT.md``), for the state-machine test.

It answers the same requests as the apps, from a dict, so that a random sequence of requests
can be checked against what the contract says rather than only against the other app. It is
written from the contract, not from the apps' code: the title and tag rules are restated here.

Every request goes through ``ContractModel.answer``; the rules that decide a write's outcome
sit in ``ContractModel._write_refusal``, where ``If-Match`` is decided. The model knows versions,
not entity tags (each app makes its own): a call names the version it means abstractly (the
current one, an older one, ``*``, or a tag that matches nothing) and the test turns that into
each app's own ``ETag`` value.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

MAX_ID = 2**63 - 1
INT32 = range(-(2**31), 2**31)
TITLE_MAX = 200
# Unicode White_Space: what is stripped from around a title.
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
CONTROL = {chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]}
VALIDATION_ERROR = "422 in FastAPI's shape"
"""Stands for a 422 body: its exact text is FastAPI's, compared between the apps instead."""
FIELDS = ("title", "completed", "priority", "tags")
PUT_REQUIRED = ("title", "completed", "priority")
"""A PUT must send these; ``tags`` left out keeps the todo's tags."""
TAG_MAX = 32
TAGS_PER_REQUEST = 20
TAG_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-_")
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

CURRENT, OUTDATED, ANY, NO_MATCH = "current", "outdated", "any", "no-match"
"""What an ``If-Match`` header names: the todo's current ETag, an ETag it had before, ``*``, or
a value that matches no version (a weak tag, or a tag never issued)."""


@dataclass(frozen=True)
class Call:
    """One request: method, path (with query), JSON body, headers beyond the defaults, and the
    version ``If-Match`` names (``CURRENT``, ``OUTDATED``, ``ANY``, ``NO_MATCH``), if any."""

    method: str
    path: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    if_match: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the contract says a call answers: status, JSON body and ``Location``.

    A Todo body leaves out ``created_at`` and ``updated_at``: their values are the server's.
    """

    status: int
    body: Any = None
    location: str | None = None


def valid_title(value: object) -> str | None:
    """The stored title for ``value``, or None when the contract refuses it."""
    if not isinstance(value, str):
        return None
    stripped = value.strip(WHITESPACE)
    if not 1 <= len(stripped) <= TITLE_MAX or CONTROL.intersection(stripped):
        return None
    return stripped


def valid_tag(value: object) -> str | None:
    """The stored name for ``value``, or None when the contract refuses it: surrounding
    whitespace stripped, ASCII letters (only those) lower-cased, then 1–32 of a–z, 0–9, - _."""
    if not isinstance(value, str):
        return None
    name = value.strip(WHITESPACE).translate(ASCII_LOWER)
    if not 1 <= len(name) <= TAG_MAX or not TAG_CHARACTERS.issuperset(name):
        return None
    return name


def valid_tags(value: object) -> list[str] | None:
    """The stored set for a ``tags`` value, in code point order, or None when refused: a list
    of at most 20 items (counted as sent, before duplicates collapse), each a valid tag."""
    if not isinstance(value, list) or len(value) > TAGS_PER_REQUEST:
        return None
    names = [valid_tag(item) for item in value]
    if None in names:
        return None
    return sorted({name for name in names if name is not None})


def valid_page(params: Mapping[str, str]) -> tuple[int, int] | None:
    """``(limit, offset)`` from a query (limit 1–1000, default 100; offset ≥ 0), or None."""
    limit = params.get("limit", "100")
    offset = params.get("offset", "0")
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 1000):
        return None
    if not (offset.isascii() and offset.isdigit() and int(offset) <= MAX_ID):
        return None
    return int(limit), int(offset)


def valid_fields(body: object, *, required: tuple[str, ...]) -> dict[str, Any] | None:
    """The fields a create/replace/patch body sets, or None when the contract refuses it."""
    if not isinstance(body, dict) or set(body) - set(FIELDS) or set(required) - set(body):
        return None
    fields: dict[str, Any] = {}
    if "title" in body:
        if (title := valid_title(body["title"])) is None:
            return None
        fields["title"] = title
    if "completed" in body:
        if not isinstance(body["completed"], bool):
            return None
        fields["completed"] = body["completed"]
    if "priority" in body:
        priority = body["priority"]
        if isinstance(priority, bool) or not isinstance(priority, int) or priority not in INT32:
            return None
        fields["priority"] = priority
    if "tags" in body:
        if (tags := valid_tags(body["tags"])) is None:
            return None
        fields["tags"] = tags
    return fields


def parse_id(segment: str) -> int | None:
    """The id in ``/todos/{segment}``, or None when the contract answers 422 for it."""
    if not segment.isascii() or not segment.isdigit() or not 1 <= int(segment) <= MAX_ID:
        return None
    return int(segment)


@dataclass
class ContractModel:
    """The todos the contract says exist, and the answers it says requests get."""

    todos: dict[int, dict[str, Any]] = field(default_factory=dict)
    highest_id: int = 0
    pending: dict[str, Any] | None = None
    """A created todo waiting for the id the server gives it (see ``created``)."""

    def answer(self, call: Call) -> Outcome:
        """What the contract says ``call`` answers (and the change it makes, if any)."""
        path, _, query = call.path.partition("?")
        if path == "/todos" and call.method == "POST":
            return self._create(call.body)
        if path == "/todos" and call.method == "GET":
            return self._list(query)
        if path == "/tags" and call.method == "GET":
            return self._tags(query)
        if path == "/todos/count" and call.method == "GET":
            completed = sum(todo["completed"] for todo in self.todos.values())
            body = {"total": len(self.todos), "completed": completed}
            return Outcome(200, body | {"pending": len(self.todos) - completed})
        todo_id = parse_id(path.removeprefix("/todos/"))
        if todo_id is None:
            return Outcome(422, VALIDATION_ERROR)
        return self._one(call, todo_id)

    def created(self, todo_id: int) -> dict[str, Any]:
        """File the todo the last create made under the id the server gave it.

        The contract only says ids are new (never reused), not which ones they are.
        """
        assert self.pending is not None
        assert todo_id > self.highest_id, f"id {todo_id} is not new (≤ {self.highest_id})"
        todo = self.todos[todo_id] = {"id": todo_id, **self.pending}
        self.highest_id = todo_id
        self.pending = None
        return todo

    def _create(self, body: object) -> Outcome:
        fields = valid_fields(body, required=("title",))
        if fields is None:
            return Outcome(422, VALIDATION_ERROR)
        defaults = {"title": fields["title"], "completed": False, "priority": 0, "tags": []}
        self.pending = defaults | fields
        return Outcome(201, self.pending)

    def _list(self, query: str) -> Outcome:
        params = dict(parse_qsl(query, keep_blank_values=True))
        completed = params.get("completed")
        page = valid_page(params)
        tag = None if "tag" not in params else valid_tag(params["tag"])
        if completed not in (None, "true", "false") or page is None:
            return Outcome(422, VALIDATION_ERROR)
        if "tag" in params and tag is None:
            return Outcome(422, VALIDATION_ERROR)
        todos = [self.todos[todo_id] for todo_id in sorted(self.todos)]
        if completed is not None:
            todos = [todo for todo in todos if todo["completed"] == (completed == "true")]
        if tag is not None:
            todos = [todo for todo in todos if tag in todo["tags"]]
        limit, offset = page
        return Outcome(200, todos[offset : offset + limit])

    def _tags(self, query: str) -> Outcome:
        """Every tag some todo carries, by name (code point order), with how many carry it."""
        page = valid_page(dict(parse_qsl(query, keep_blank_values=True)))
        if page is None:
            return Outcome(422, VALIDATION_ERROR)
        carried = Counter(name for todo in self.todos.values() for name in todo["tags"])
        listed = [{"name": name, "todos": carried[name]} for name in sorted(carried)]
        limit, offset = page
        return Outcome(200, listed[offset : offset + limit])

    def _one(self, call: Call, todo_id: int) -> Outcome:
        required = {"PUT": PUT_REQUIRED, "PATCH": ()}.get(call.method)
        fields = None
        if required is not None:
            fields = valid_fields(call.body, required=required)
            if fields is None or not (fields or call.method == "PUT"):
                return Outcome(422, VALIDATION_ERROR)
        todo = self.todos.get(todo_id)
        if todo is None:
            return Outcome(404, {"detail": f"Todo {todo_id} not found"})
        if (refusal := self._write_refusal(call, todo)) is not None:
            return refusal
        if call.method == "DELETE":
            del self.todos[todo_id]
            return Outcome(204)
        if fields is not None:
            todo.update(fields)
        return Outcome(200, todo)

    def _write_refusal(self, call: Call, todo: dict[str, Any]) -> Outcome | None:
        """Why a request on an existing todo is refused before it takes effect, or None.

        ``If-Match`` that names neither the todo's current version nor ``*`` is a 412.
        """
        if call.method == "GET" or call.if_match in (None, CURRENT, ANY):
            return None
        return Outcome(412, {"detail": f"Todo {todo['id']} has changed; fetch it again and retry"})
