"""Concurrent clients that create todos until they are stopped or the server dies, keeping score.

Each writer thread sends ``POST /todos`` with a title no other request uses and remembers what
became of each request:

- acknowledged: a 201 arrived, with the todo as the server stored it;
- refused: another status arrived (nothing may be stored for it);
- cut off: no answer, because the connection broke; the todo may or may not be stored.

A writer stops at its first cut-off request, so killing the server ends every writer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared_tests.live_server import TLS_CONTEXT

REQUEST_TIMEOUT_S = 30.0


@dataclass
class Tally:
    """What the writers sent, and what became of it (by title)."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    cut_off: list[tuple[str, str]] = field(default_factory=list)


class Writers:
    """``count`` threads creating todos titled ``"<label> writer W todo N"`` against a server."""

    def __init__(self, base_url: str, label: str, count: int) -> None:
        self.base_url = base_url
        self.label = label
        self.tally = Tally()
        self._lock = threading.Lock()
        self._acknowledged = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, args=(number,), name=f"writer-{number}")
            for number in range(count)
        ]

    def start(self) -> None:
        """Start every writer."""
        for thread in self._threads:
            thread.start()

    def wait_for_acknowledgements(self, count: int, timeout: float) -> bool:
        """Block until ``count`` writes were acknowledged (False if ``timeout`` passes first)."""
        with self._acknowledged:
            return self._acknowledged.wait_for(
                lambda: len(self.tally.acknowledged) >= count, timeout=timeout
            )

    def finish(self, timeout: float = REQUEST_TIMEOUT_S + 5) -> Tally:
        """Stop the writers after their current request and return the tally."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
            assert not thread.is_alive(), f"{thread.name} did not finish"
        return self.tally

    def _write(self, writer: int) -> None:
        with httpx.Client(
            base_url=self.base_url, timeout=REQUEST_TIMEOUT_S, verify=TLS_CONTEXT
        ) as client:
            number = 0
            while not self._stop.is_set():
                title = f"{self.label} writer {writer} todo {number}"
                body: dict[str, Any] = {"title": title, "priority": writer * 1_000_000 + number}
                number += 1
                with self._lock:
                    self.tally.sent[title] = body
                try:
                    response = client.post("/todos", json=body)
                except httpx.TransportError as exc:
                    with self._lock:
                        self.tally.cut_off.append((title, type(exc).__name__))
                    return
                with self._acknowledged:
                    if response.status_code == 201:
                        self.tally.acknowledged[title] = response.json()
                        self._acknowledged.notify_all()
                    else:
                        self.tally.refused.append((title, response.status_code, response.text))
