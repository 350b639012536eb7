"""Random sequences of requests get the same answers from both apps and from the contract.

A Hypothesis state machine creates, reads, lists (filtered by completion and by tag, and
paged), counts, replaces, patches and deletes todos, and lists the tags — on ids that exist,
that were deleted and that never existed, with valid and invalid bodies and tags — against
every registered variant, each on a fresh database of the same backend, and against
``ContractModel``. After every step the three must agree on the status, ``Location`` and body
(the apps byte for byte apart from timestamp values), and each app's timestamps must be
well-formed, ``created_at`` fixed and ``updated_at`` strictly increasing on every update; the
full lists must agree too, and at the end of each scenario the full list of tags. Writes also
go out with ``If-Match`` naming the current version, an older one, ``*`` or nothing that
matches; every answer carrying a todo must carry an ``ETag``, the same one for the same
version and a new one for each update.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete
from starlette.testclient import TestClient

from shared_tests.app_database import in_write_transaction
from shared_tests.conftest import assert_no_checked_out_connections
from shared_tests.contract_model import (
    ANY,
    CURRENT,
    MAX_ID,
    NO_MATCH,
    OUTDATED,
    VALIDATION_ERROR,
    Call,
    ContractModel,
    Outcome,
)
from shared_tests.fuzzing import fixed_settings
from shared_tests.helpers import parse_timestamp
from shared_tests.templates import Templates
from todo_contract.table import todos
from todo_contract.variants import variants

# random request sequences on every variant; unmeasured: what they reach, the contract tests
# measure (the coverage report is the same without them)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

SCENARIOS = 12
"""Scenarios per backend, each sent to every variant (were 20: 57 s of the suite's time)."""
STEPS_PER_SCENARIO = 25
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")

# Titles from an alphabet that holds what the rules are about: whitespace that is stripped,
# control characters that are refused (U+0085 is both), right-to-left, combining, emoji.
TITLE_ALPHABET = "ab Z\t\n\x00\x1f\x7f\x85\u3000\u05e9\u0301\U0001f600"
titles = st.one_of(
    st.text(TITLE_ALPHABET, max_size=12),
    st.sampled_from(["x" * 200, "x" * 201, " " + "\u05e9" * 200 + " "]),
)
priorities = st.one_of(
    st.integers(-3, 3), st.sampled_from([-(2**31), 2**31 - 1, -(2**31) - 1, 2**31])
)
odd_values: st.SearchStrategy[object] = st.sampled_from([None, "true", 1, 1.5, [], "1"])
flags = st.one_of(st.booleans(), odd_values)
numbers = st.one_of(priorities, odd_values)
# Tag names that normalise to a few shared ones (so lists, filters and counts overlap), in the
# orders code points and collations disagree on, and names the rules refuse: empty, inner
# space, non-ASCII, the Kelvin sign (``str.lower`` would make it "k"), 33 characters.
TAG_NAMES = ["home", "HOME", " home\t", "work", "-y", "0z", "_x", "a", "z" * 32]
BAD_TAG_NAMES = ["", " ", "a b", "\u00e9", "\u212a", "z" * 33]
tag_names = st.one_of(st.sampled_from(TAG_NAMES), st.sampled_from(BAD_TAG_NAMES))
tag_lists: st.SearchStrategy[object] = st.one_of(
    st.lists(st.sampled_from(TAG_NAMES), max_size=4),
    st.lists(tag_names, max_size=4),
    st.sampled_from([["home"] * 21, [f"t{n}" for n in range(20)], "home", [1], None]),
)
TAG_QUERIES = [
    "home",
    "HOME",
    "%20home%20",
    "-y",
    "_x",
    "never-used",
    "",
    "a%20b",
    "%E2%84%AA",
]
"""``tag=`` values as sent, URL-encoded: ``%E2%84%AA`` is the Kelvin sign."""
PAGE_LIMITS = [None, "1", "2", "1000", "0"]
PAGE_OFFSETS = [None, "0", "1", "3", "-1"]


def bodies(required: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies holding the required fields (mostly), some optional ones, rarely an unknown one."""
    fields = {"title": titles, "completed": flags, "priority": numbers, "tags": tag_lists}
    optional = {name: value for name, value in fields.items() if name not in required}
    fixed = st.fixed_dictionaries({name: fields[name] for name in required}, optional=optional)
    extra = st.fixed_dictionaries({}, optional={"colour": st.just("red")})
    return st.builds(lambda body, more: {**body, **more}, fixed, extra)


def with_query(path: str, query: dict[str, str | None]) -> str:
    """``path`` with the query parameters that are not None (values already URL-encoded)."""
    pairs = [f"{name}={value}" for name, value in query.items() if value is not None]
    return path + ("?" + "&".join(pairs) if pairs else "")


def masked(text: str) -> str:
    return TIMESTAMP.sub("<timestamp>", text)


def without_timestamps(value: Any) -> Any:
    if isinstance(value, list):
        return [without_timestamps(item) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ("created_at", "updated_at")}
    return value


class AppTimestamps:
    """One app's ``created_at``/``updated_at`` per todo, checked on every answer it gives."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[str, str]] = {}

    def check(self, call: Call, status: int, body: Any) -> None:
        todos_in_body = body if isinstance(body, list) else [body]
        if status not in (200, 201) or not all(
            isinstance(t, dict) and "id" in t for t in todos_in_body
        ):
            return
        for todo in todos_in_body:
            created, updated = todo["created_at"], todo["updated_at"]
            parse_timestamp(created)
            parse_timestamp(updated)
            before = self.seen.get(todo["id"])
            if status == 201:
                assert created == updated, todo
            elif call.method in ("PUT", "PATCH"):
                assert before is not None
                assert created == before[0], (before, todo)
                assert parse_timestamp(updated) > parse_timestamp(before[1]), (before, todo)
            else:
                assert (created, updated) == before, (before, todo)
            self.seen[todo["id"]] = (created, updated)


class AppETags:
    """One app's ETags per todo, oldest version first, checked on every answer it gives."""

    def __init__(self) -> None:
        self.versions: dict[int, list[str]] = {}

    def if_match(self, todo_id: int, names: str) -> str:
        """This app's ``If-Match`` value for the version ``names`` (see ``contract_model``)."""
        known = self.versions.get(todo_id, ['"0000000000000000"'])
        if names == CURRENT:
            return known[-1]
        if names == OUTDATED and len(known) > 1:
            return known[0]
        if names == ANY:
            return "*"
        return f"W/{known[-1]}"  # a weak tag never matches, even the current version

    def check(self, call: Call, status: int, body: Any, etag: str | None) -> None:
        if status not in (200, 201) or not isinstance(body, dict) or "id" not in body:
            assert etag is None, (call, status, etag)
            return
        assert etag is not None, (call, body)
        versions = self.versions.setdefault(body["id"], [])
        if status == 201 or call.method in ("PUT", "PATCH"):
            assert etag not in versions, (call, etag, versions)
            versions.append(etag)
        else:
            assert etag == versions[-1], (call, etag, versions)


class ContractMachine(RuleBasedStateMachine):
    """Both apps and the model, driven by the same requests.

    ``clients`` and ``apps`` are set on a subclass made by the test, once per backend.
    """

    clients: ClassVar[dict[str, TestClient]]
    apps: ClassVar[dict[str, FastAPI]]

    def __init__(self) -> None:
        super().__init__()
        self.model = ContractModel()
        self.timestamps = {kind: AppTimestamps() for kind in self.clients}
        self.etags = {kind: AppETags() for kind in self.clients}
        self.ever_seen: list[int] = []
        # A fresh scenario starts from an empty table (ids keep growing across scenarios).
        for client in self.clients.values():
            in_write_transaction(client, lambda connection: connection.execute(delete(todos)))

    def send(self, call: Call) -> None:
        """Send ``call`` to both apps and the model; assert that all three agree."""
        expected: Outcome = self.model.answer(call)
        answers = {}
        for kind, client in self.clients.items():
            headers = dict(call.headers)
            if call.if_match is not None:
                todo_id = int(call.path.removeprefix("/todos/"))
                headers["If-Match"] = self.etags[kind].if_match(todo_id, call.if_match)
            response = client.request(call.method, call.path, json=call.body, headers=headers)
            answers[kind] = response
            assert "Traceback" not in response.text
        first, *others = answers.values()
        for other in others:
            assert (first.status_code, masked(first.text)) == (
                other.status_code,
                masked(other.text),
            ), call
            for name in ("location", "content-type", "allow"):
                assert first.headers.get(name) == other.headers.get(name), (call, name)

        assert first.status_code == expected.status, (call, first.text, expected)
        if expected.status == 204:
            assert first.content == b""
            return
        body = first.json()
        if expected.body == VALIDATION_ERROR:
            assert isinstance(body["detail"], list) and body["detail"], body
            return
        if expected.status == 201:
            todo = self.model.created(body["id"])
            self.ever_seen.append(body["id"])
            expected = Outcome(201, todo, location=f"/todos/{body['id']}")
        assert without_timestamps(body) == expected.body, (call, body, expected)
        assert first.headers.get("location") == expected.location, call
        for kind, response in answers.items():
            self.timestamps[kind].check(call, response.status_code, response.json())
            etag = response.headers.get("etag")
            self.etags[kind].check(call, response.status_code, response.json(), etag)

    def some_id(self, data: st.DataObject) -> str:
        """An id that exists or existed (mostly), one never issued, or the largest valid one."""
        strategies = [st.integers(1, 10**6), st.just(MAX_ID)]
        if self.ever_seen:
            strategies = [st.sampled_from(self.ever_seen)] * 3 + strategies
        return str(data.draw(st.one_of(strategies), label="id"))

    @rule(body=bodies(("title",)))
    def create(self, body: dict[str, Any]) -> None:
        self.send(Call("POST", "/todos", body))

    @initialize(
        tag_sets=st.lists(st.lists(st.sampled_from(TAG_NAMES), max_size=4), min_size=2, max_size=4),
    )
    def some_tagged_todos(self, tag_sets: list[list[str]]) -> None:
        """Each scenario starts with a few todos, most of them tagged: most random bodies are
        refused for another field, and the tag filter and counts need tags to be worth
        checking (and an untagged todo beside them, which the filter must leave out)."""
        for number, tags in enumerate(tag_sets):
            body = {"title": "tagged", "completed": number % 2 == 1, "tags": tags}
            self.send(Call("POST", "/todos", body))

    @precondition(lambda machine: machine.ever_seen)
    @rule(data=st.data(), tags=tag_lists)
    def retag(self, data: st.DataObject, tags: object) -> None:
        todo_id = data.draw(st.sampled_from(self.ever_seen), label="id")
        self.send(Call("PATCH", f"/todos/{todo_id}", {"tags": tags}))

    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        self.send(Call("GET", f"/todos/{self.some_id(data)}"))

    @rule(
        completed=st.sampled_from([None, "true", "false", "yes"]),
        limit=st.sampled_from(PAGE_LIMITS),
        offset=st.sampled_from(PAGE_OFFSETS),
    )
    def list(self, completed: str | None, limit: str | None, offset: str | None) -> None:
        query = {"completed": completed, "limit": limit, "offset": offset}
        self.send(Call("GET", with_query("/todos", query)))

    @rule(
        data=st.data(),
        completed=st.sampled_from([None, "true", "false"]),
        limit=st.sampled_from(PAGE_LIMITS),
    )
    def list_by_tag(self, data: st.DataObject, completed: str | None, limit: str | None) -> None:
        """Mostly a tag some todo carries (sometimes upper-cased), else one of ``TAG_QUERIES``."""
        carried = sorted({name for todo in self.model.todos.values() for name in todo["tags"]})
        strategies = [st.sampled_from(TAG_QUERIES)]
        if carried:
            names = st.sampled_from(carried)
            strategies = [names, names.map(str.upper), *strategies]
        tag = data.draw(st.one_of(strategies), label="tag")
        query = {"tag": tag, "completed": completed, "limit": limit}
        self.send(Call("GET", with_query("/todos", query)))

    @rule(limit=st.sampled_from(PAGE_LIMITS), offset=st.sampled_from(PAGE_OFFSETS))
    def list_tags(self, limit: str | None, offset: str | None) -> None:
        self.send(Call("GET", with_query("/tags", {"limit": limit, "offset": offset})))

    @rule()
    def count(self) -> None:
        self.send(Call("GET", "/todos/count"))

    @rule(data=st.data(), body=bodies(("title", "completed", "priority")))
    def replace(self, data: st.DataObject, body: dict[str, Any]) -> None:
        self.send(Call("PUT", f"/todos/{self.some_id(data)}", body))

    @rule(data=st.data(), body=bodies(()))
    def update(self, data: st.DataObject, body: dict[str, Any]) -> None:
        self.send(Call("PATCH", f"/todos/{self.some_id(data)}", body))

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.send(Call("DELETE", f"/todos/{self.some_id(data)}"))

    @precondition(lambda machine: machine.ever_seen)
    @rule(
        data=st.data(),
        method=st.sampled_from(["PUT", "PATCH", "DELETE"]),
        names=st.sampled_from([CURRENT, OUTDATED, ANY, NO_MATCH]),
        body=bodies(("title", "completed", "priority")),
    )
    def conditional_write(
        self, data: st.DataObject, method: str, names: str, body: dict[str, Any]
    ) -> None:
        todo_id = data.draw(st.sampled_from(self.ever_seen), label="id")
        if names == OUTDATED and len(next(iter(self.etags.values())).versions.get(todo_id, [])) < 2:
            names = NO_MATCH  # no older version yet: the tag sent matches nothing either
        sent = None if method == "DELETE" else body
        self.send(Call(method, f"/todos/{todo_id}", sent, if_match=names))

    @precondition(lambda machine: machine.ever_seen)
    @rule(data=st.data(), method=st.sampled_from(["PUT", "PATCH", "DELETE"]))
    def write_after_someone_else_changed_it(self, data: st.DataObject, method: str) -> None:
        """Another client's PATCH lands between this client's read and its conditional write."""
        todo_id = data.draw(st.sampled_from(self.ever_seen), label="id")
        self.send(Call("PATCH", f"/todos/{todo_id}", {"priority": 1}))
        body = {"title": "mine", "completed": True, "priority": 2}
        sent = None if method == "DELETE" else body
        self.send(Call(method, f"/todos/{todo_id}", sent, if_match=OUTDATED))

    @invariant()
    def every_todo_agrees(self) -> None:
        self.send(Call("GET", "/todos?limit=1000"))

    def teardown(self) -> None:
        """Every tag and its count agree once the scenario is over (once, not per step: the
        todos, with their tags, are compared after every step already)."""
        self.send(Call("GET", "/tags?limit=1000"))


def test_random_request_sequences_get_the_same_answers_from_every_variant_and_the_contract(
    backend: str, tmp_path: Path, templates: Templates
) -> None:
    with ExitStack() as stack:
        apps: dict[str, FastAPI] = {}
        clients: dict[str, TestClient] = {}
        for variant in variants():
            kind = variant.name
            (tmp_path / kind).mkdir()
            url = stack.enter_context(templates.copy(backend, tmp_path / kind))
            apps[kind] = variant.create_app(url)
            clients[kind] = stack.enter_context(TestClient(apps[kind]))

        machine = type(
            "BoundContractMachine", (ContractMachine,), {"clients": clients, "apps": apps}
        )
        run_state_machine_as_test(
            machine,
            settings=fixed_settings(SCENARIOS, stateful_step_count=STEPS_PER_SCENARIO),
        )

        for app in apps.values():
            assert_no_checked_out_connections(app)
