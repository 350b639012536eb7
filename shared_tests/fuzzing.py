"""What the property-based tests share: fixed Hypothesis settings and schemathesis plumbing.

Every property-based test here is derandomized (the same examples on every run, so a failure
reproduces and CI never flakes) with a bounded number of examples, no deadline (a database
round trip on a busy 2-core machine is not a bug), and no example database written to disk.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.schemas import OpenApiSchema
from starlette.testclient import TestClient


def fixed_settings(max_examples: int, **overrides: Any) -> settings:
    """Derandomized settings with ``max_examples`` examples and no deadline."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
        **overrides,
    )


def whole_floats_as_integers(body: Any) -> Any:
    """Write ``2.0`` as ``2`` in a generated JSON object body.

    JSON Schema counts ``2.0`` as an integer and schemathesis sends it so, but the contract
    accepts only integers written as integers (``"priority": 1.0`` is a 422, on purpose). No
    OpenAPI document can state that difference, so generated bodies spell integers plainly;
    the rejection of ``1.0`` is tested in ``test_create.py`` and ``test_update.py``.
    """
    if not isinstance(body, dict):
        return body
    return {
        key: int(value) if isinstance(value, float) and value.is_integer() else value
        for key, value in body.items()
    }


def load_schema(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> tuple[OpenApiSchema, asgi.ASGIClient]:
    """The app's own OpenAPI document as a schemathesis schema, and a session that calls the app.

    The document is fetched from ``/openapi.json`` like any client would. ``client`` (already
    entered) runs the app's lifespan; the returned session is deliberately *not* entered, so
    that schemathesis does not start a second lifespan (a second engine) of its own.

    Schemathesis runs every ASGI call on an event loop of its own; for the test's duration it
    is given ``client``'s instead (``_get_portal``, its one way to pick a loop). An async app's
    connections belong to the loop that opened them: asyncpg used from a second loop fails
    ("attached to a different loop") and, two loops racing on one connection, crashed the
    test process with a segmentation fault.
    """
    monkeypatch.setattr(asgi, "_get_portal", lambda: client.portal)
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = app
    # A generated ``If-Match`` is schema-valid yet names no real version of the todo, so
    # valid data may rightly get 412 (stale precondition), as it may get 404 (unknown id).
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "412"]

    @schema.hook
    def map_body(_context: schemathesis.HookContext, body: Any) -> Any:
        return whole_floats_as_integers(body)

    return schema, asgi.get_client(app)  # type: ignore[arg-type]  # FastAPI is an ASGI app
