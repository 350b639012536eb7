"""Each app against its own OpenAPI document, with schemathesis and all its default checks.

Generated requests — valid ones, invalid ones, boundary values and unexpected methods, and
sequences that follow the document's links from ``POST /todos`` to the routes taking the new
id — must never get a 5xx, an undocumented status code or content type, a body that does not
match its declared schema, a rejection of valid data or an acceptance of invalid data. The
document is what clients code against, so a failure here means the app or the document is
wrong.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import given
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import APIStateMachine
from sqlalchemy import delete
from starlette.testclient import TestClient

from shared_tests.app_database import in_write_transaction
from shared_tests.backends import takes_the_long_run
from shared_tests.fuzzing import fixed_settings, load_schema
from todo_contract.table import todos

# property-based fuzzing of every operation; unmeasured: what it reaches, the contract tests
# measure (the coverage report is the same without it)
pytestmark = [pytest.mark.slow, pytest.mark.unmeasured]

EXAMPLES_PER_OPERATION = 25
STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 10
SHORT_RUN_EXAMPLES = 10
SHORT_RUN_SCENARIOS = 6
"""Fewer examples and scenarios on the pairs of variant and backend that do not take the long
run (``takes_the_long_run``: every variant and every backend takes it once at least)."""


def examples(app_kind: str, backend: str) -> int:
    """Generated requests per operation for this variant and backend."""
    return EXAMPLES_PER_OPERATION if takes_the_long_run(app_kind, backend) else SHORT_RUN_EXAMPLES


# Operations with nothing to make invalid: no parameters and no body.
NOTHING_TO_NEGATE = {"GET /health", "GET /todos/count"}


def run_operations(
    app: FastAPI,
    client: TestClient,
    mode: GenerationMode,
    monkeypatch: pytest.MonkeyPatch,
    examples: int,
) -> list[str]:
    """Send generated requests in ``mode`` to every operation; return the labels tried."""
    schema, session = load_schema(app, client, monkeypatch)
    tried = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and operation.label in NOTHING_TO_NEGATE:
            continue

        @fixed_settings(examples)
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Case[Any]) -> None:
            case.call_and_validate(session=session)

        check()
        tried.append(operation.label)
    return tried


def test_valid_requests_to_every_operation_conform_to_the_document(
    app: FastAPI,
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    app_kind: str,
    backend: str,
) -> None:
    mode, count = GenerationMode.POSITIVE, examples(app_kind, backend)
    tried = run_operations(app, app_client, mode, monkeypatch, count)

    assert len(tried) == 9, tried


def test_invalid_requests_to_every_operation_are_rejected_as_the_document_says(
    app: FastAPI,
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    app_kind: str,
    backend: str,
) -> None:
    mode, count = GenerationMode.NEGATIVE, examples(app_kind, backend)
    tried = run_operations(app, app_client, mode, monkeypatch, count)

    assert len(tried) == 7, tried


def test_boundary_values_and_unexpected_methods_conform_to_the_document(
    app: FastAPI, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schemathesis's coverage phase: deterministic edge cases, not random ones.

    Values at and just past every bound, missing and extra fields, and methods the document
    does not list for a path (which must be a 405 with an ``Allow`` header).
    """
    schema, session = load_schema(app, app_client, monkeypatch)
    sent: list[tuple[str, str]] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation),
        ):
            case.call_and_validate(session=session)
            sent.append((case.method.upper(), operation.method.upper()))

    assert any(method != documented for method, documented in sent), "no unexpected method"


def test_sequences_following_the_documents_links_conform_to_it(
    app: FastAPI,
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    app_kind: str,
    backend: str,
) -> None:
    schema, session = load_schema(app, app_client, monkeypatch)
    calls: list[str] = []

    def setup(_machine: APIStateMachine) -> None:
        # Every scenario starts from an empty table, so that a scenario replayed by Hypothesis
        # sees the same responses (and so draws the same data) as when it first ran.
        in_write_transaction(app_client, lambda connection: connection.execute(delete(todos)))

    def get_call_kwargs(_machine: APIStateMachine, case: Case[Any]) -> dict[str, Any]:
        calls.append(case.operation.label)
        return {"session": session}

    base = schema.as_state_machine()
    machine: type[APIStateMachine] = type(
        "LinkedCalls", (base,), {"setup": setup, "get_call_kwargs": get_call_kwargs}
    )

    long_run = takes_the_long_run(app_kind, backend)
    scenarios = STATEFUL_SCENARIOS if long_run else SHORT_RUN_SCENARIOS
    machine.run(settings=fixed_settings(scenarios, stateful_step_count=STATEFUL_STEPS))

    # The links were followed: the created id reached the routes that take one.
    assert "POST /todos" in calls
    followed = {label for label in calls if "{todo_id}" in label}
    assert len(followed) >= 2, calls
