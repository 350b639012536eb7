"""Gates of honesty, checked before any timing is reported.

1. Same answers: both apps, each on a fresh database, answer one fixed script of requests
   with identical statuses, headers that matter and bodies (timestamps masked). An app that
   differs from the other is not measured: it would not be the same API.
2. Query counts: every rung's statements per operation are counted and published; a rung
   that sends a different number than Core for the same operation is flagged.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fastapi import FastAPI

from benchmarks import ladder
from benchmarks.asgi_client import call, running
from benchmarks.database import fresh_url
from benchmarks.results import Gate, Timing

TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
HEADERS_THAT_MATTER = ("location", "content-type", "allow")

SCRIPT: list[tuple[str, str, object]] = [
    ("POST", "/todos", {"title": "  Buy milk  "}),
    ("POST", "/todos", {"title": "Write the benchmark", "completed": True, "priority": 3}),
    ("POST", "/todos", {"title": "emoji 🎉 and עברית", "priority": -5}),
    ("GET", "/todos", None),
    ("GET", "/todos?completed=true", None),
    ("GET", "/todos?completed=false&limit=1&offset=1", None),
    ("GET", "/todos/count", None),
    ("GET", "/todos/2", None),
    ("PUT", "/todos/1", {"title": "Buy oat milk", "completed": True, "priority": 1}),
    ("PATCH", "/todos/3", {"priority": 9}),
    ("DELETE", "/todos/2", None),
    ("GET", "/todos/2", None),
    ("PATCH", "/todos/2", {"title": "gone"}),
    ("POST", "/todos", {"title": ""}),
    ("POST", "/todos", {"title": "a", "completed": "yes"}),
    ("PATCH", "/todos/1", {}),
    ("GET", "/todos?limit=0", None),
    ("GET", "/todos/abc", None),
    ("PUT", "/todos", None),
    ("GET", "/todos", None),
    ("GET", "/todos/count", None),
]

Transcript = list[tuple[str, str, int, dict[str, str], bytes]]


async def _run_script(app: FastAPI) -> Transcript:
    transcript: Transcript = []
    async with running(app):
        for method, path, payload in SCRIPT:
            body = None if payload is None else json.dumps(payload).encode()
            response = await call(app, method, path, body)
            headers = {k: v for k, v in response.headers.items() if k in HEADERS_THAT_MATTER}
            masked = TIMESTAMP.sub(b"<timestamp>", response.body)
            transcript.append((method, path, response.status, headers, masked))
    return transcript


def transcript_of(create_app: Callable[[str], FastAPI], backend: str, workdir: Path) -> Transcript:
    """What an app answers to the script, on a fresh database of ``backend``."""
    with fresh_url(backend, workdir) as url:
        return asyncio.run(_run_script(create_app(url)))


def same_answers_gate(
    apps: Mapping[str, Callable[[str], FastAPI]], backend: str, workdir: Path
) -> Gate:
    """Pass when every app answers the script exactly as the first one does."""
    names = list(apps)
    transcripts = {name: transcript_of(apps[name], backend, workdir) for name in names}
    reference = transcripts[names[0]]
    for name in names[1:]:
        for step, (expected, actual) in enumerate(
            zip(reference, transcripts[name], strict=True), start=1
        ):
            if expected != actual:
                method, path = expected[0], expected[1]
                return Gate(
                    f"same answers ({backend})",
                    False,
                    f"{name} differs from {names[0]} at step {step}, {method} {path}: "
                    f"{actual[2]} {actual[4][:120]!r} instead of {expected[2]} "
                    f"{expected[4][:120]!r}",
                )
    return Gate(
        f"same answers ({backend})",
        True,
        f"{', '.join(names)} gave identical statuses, headers and bodies to "
        f"{len(SCRIPT)} requests (timestamps masked)",
    )


def query_count_gate(timings: Sequence[Timing], backend: str) -> Gate:
    """Publish the counts; flag rungs that send a different number than the reference
    variant (Core: the hand-written SQL every other rung is compared with)."""
    reference = ladder.reference().name
    core = {
        (t.layer, t.operation): t.queries_per_operation
        for t in timings
        if t.rung == reference and t.backend == backend
    }
    flags = sorted(
        f"{t.layer}/{t.rung}/{t.operation}: {t.queries_per_operation:g} vs {reference} "
        f"{core[(t.layer, t.operation)]:g}"
        for t in timings
        if t.backend == backend
        and t.rung != reference
        and t.rung not in ladder.FLOORS
        and (t.layer, t.operation) in core
        and t.queries_per_operation is not None
        and t.queries_per_operation != core[(t.layer, t.operation)]
    )
    detail = (
        "every rung sends as many statements as Core"
        if not flags
        else "rungs that send a different number of statements than Core: " + "; ".join(flags)
    )
    return Gate(f"query counts ({backend})", True, detail)
