"""Gates of honesty, checked before any timing is reported.

1. Same answers: both apps, each on a fresh database, answer one fixed script of requests
   with identical statuses, headers that matter and bodies (timestamps masked). An app that
   differs from the other is not measured: it would not be the same API.
2. Query counts: every rung's statements per operation are counted and published; a rung
   that sends more than its baseline on an operation fails the gate unless it declared
   that it does (``benchmarks.registry.ExtraStatements``, as the ORM's ``add_all`` does), so
   that a timing of more work is never passed off as the cost of the same work.
3. Async statements: every asyncio rung sends exactly the statements of its sync twin
   (``benchmarks.ladder.sync_twin``: core-async as core, orm-async as orm, raw-async as raw),
   operation by operation and layer by layer, neither more nor fewer: an async/sync ratio is
   the cost of asyncio only when both sides do the same database work.
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
from benchmarks.formatting import format_count
from benchmarks.ladder import is_async, sync_twin
from benchmarks.registry import Rung
from benchmarks.results import Gate, Timing, TimingIndex

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


def query_count_gate(timings: Sequence[Timing], backend: str, rungs: Mapping[str, Rung]) -> Gate:
    """Fail when a rung sends more SQL statements per operation than its baseline (see
    ``ladder.statement_baseline``) without declaring it (``Rung.extra_statements``), or more than it
    declared. Fewer statements (the identity map answering without SQL) pass and are listed:
    the tables show them beside the times.
    """
    index = TimingIndex(timings)
    undeclared: list[str] = []
    declared: list[str] = []
    fewer: list[str] = []
    for timing in timings:
        count = timing.queries_per_operation
        if timing.backend != backend or count is None:
            continue
        against = ladder.statement_baseline(timing.layer, timing.rung)
        if against is None:
            continue
        base_timing = index.get(against[0], backend, against[1], timing.operation)
        base = None if base_timing is None else base_timing.queries_per_operation
        if base is None:
            continue
        where = f"{timing.layer}/{timing.rung}/{timing.operation}"
        versus = f"{format_count(count)} vs {against[1]} {format_count(base)}"
        if against[0] != timing.layer:
            versus += f" ({against[0]} layer)"
        extra = count - base
        if extra < -1e-9:
            fewer.append(f"{where}: {versus}")
        elif extra > 1e-9:
            rung = rungs.get(timing.rung)
            allowed = rung.extra_statements.get(timing.operation) if rung else None
            if allowed is None:
                undeclared.append(f"{where}: {versus}, not declared")
            elif extra > allowed.at_most + 1e-9:
                undeclared.append(f"{where}: {versus}, declared at most +{allowed.at_most}")
            else:
                declared.append(f"{where}: {versus} (declared: {allowed.why})")
    parts = []
    if undeclared:
        parts.append("more statements than the baseline: " + "; ".join(sorted(undeclared)))
    if declared:
        parts.append("declared extra statements: " + "; ".join(sorted(declared)))
    if fewer:
        parts.append("fewer statements than the baseline: " + "; ".join(sorted(fewer)))
    detail = ". ".join(parts) if parts else "every rung sends as many statements as its baseline"
    return Gate(f"query counts ({backend})", not undeclared, detail)


def twin_count_gate(timings: Sequence[Timing], backend: str) -> Gate:
    """Fail when an asyncio rung sends a different number of SQL statements per operation
    than its sync twin at the same layer (more *or* fewer); pass, saying how many pairs
    agreed, otherwise. An async rung whose twin was not measured is not compared."""
    index = TimingIndex(timings)
    differ: list[str] = []
    agree = 0
    for timing in timings:
        count = timing.queries_per_operation
        if timing.backend != backend or count is None or not is_async(timing.rung):
            continue
        twin = sync_twin(timing.rung)
        base = None if twin is None else index.get(timing.layer, backend, twin, timing.operation)
        if twin is None or base is None or base.queries_per_operation is None:
            continue
        if abs(count - base.queries_per_operation) > 1e-9:
            differ.append(
                f"{timing.layer}/{timing.rung}/{timing.operation}: {format_count(count)} vs "
                f"{twin} {format_count(base.queries_per_operation)}"
            )
        else:
            agree += 1
    name = f"async statements ({backend})"
    if differ:
        return Gate(
            name,
            False,
            "an async rung sends other statements than its sync twin: " + "; ".join(sorted(differ)),
        )
    if not agree:
        return Gate(name, True, "no async rung measured beside its sync twin")
    return Gate(
        name,
        True,
        f"each of {agree} async (rung, operation) pairs sends exactly as many statements as "
        "its sync twin",
    )
