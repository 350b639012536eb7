"""CPU time a server process spends, read from ``/proc``, for CPU per request over the wire.

Requests per second on a shared 2-CPU machine move with whatever else runs; the CPU time the
server spends per request moves much less (time the server waits for the CPU is not CPU
time). So every over-the-wire cell also reports the server's user + system CPU divided by
the requests it handled.

Why ``/proc/<pid>/task/<tid>/schedstat`` and not ``/proc/<pid>/stat`` (what psutil's
``cpu_times`` reads): ``stat`` counts in clock ticks of 10 ms, a few percent of a 0.2 s
window; ``schedstat``'s first field is the thread's time on a CPU in nanoseconds, user and
system together. Every thread counts (FastAPI runs sync dependencies in a thread pool), and
every process of the tree (uvicorn's ``--workers N`` are children of a supervisor; psutil
finds them). A thread that exits between two readings takes its time with it, so a delta is
summed over the threads seen at the end only; the pool's threads exit after 10 s idle, so a
thread that exits inside a window shorter than that did no work in it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)

IDLE_POLL_S = 0.01
IDLE_BELOW_NS = 200_000
"""Less CPU than this in one poll interval (2%) counts as idle: uvicorn's 0.1 s tick costs
tens of µs."""
IDLE_TIMEOUT_S = 1.0


def _runnable(pid: int) -> bool:
    """True when a thread of ``pid`` is running or waiting for a CPU (state R)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2 :].startswith("R"):
            return True
    return False


def _thread_ns(pid: int) -> dict[tuple[int, int], int]:
    """(pid, tid) → ns on a CPU, for every thread of ``pid``; empty when it has gone."""
    times: dict[tuple[int, int], int] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return times
    for task in tasks:
        try:
            times[(pid, int(task.name))] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # the thread exited while we looked
    return times


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (uvicorn's worker processes)."""
    pids = [pid]
    with contextlib.suppress(psutil.Error):  # gone: its threads read as none
        pids += [child.pid for child in psutil.Process(pid).children(recursive=True)]
    return pids


@dataclass(frozen=True)
class CpuReading:
    """The CPU time of every thread of a process tree at one moment."""

    threads: dict[tuple[int, int], int]
    runnable: bool = False  # a thread was running or waiting for a CPU

    @classmethod
    def of(cls, pid: int) -> CpuReading:
        """Read ``pid`` and all its descendants."""
        pids = _tree(pid)
        threads: dict[tuple[int, int], int] = {}
        for each in pids:
            threads.update(_thread_ns(each))
        return cls(threads, any(_runnable(each) for each in pids))

    def since(self, earlier: CpuReading) -> float:
        """Seconds of CPU spent between ``earlier`` and this reading (threads seen now)."""
        total = sum(ns - earlier.threads.get(key, 0) for key, ns in self.threads.items())
        return max(0, total) / 1e9


def available() -> bool:
    """True when this system exposes per-thread CPU time (Linux with schedstat)."""
    return Path("/proc/self/schedstat").exists()


def settled(pid: int, *, timeout_s: float = IDLE_TIMEOUT_S) -> CpuReading:
    """A reading taken once ``pid``'s tree has gone idle (or after ``timeout_s``).

    wrk stops with requests in flight that the server still serves; reading at once would
    charge their CPU to the next cell measured on this server. Idle means little CPU over a
    poll *and* no thread waiting for a CPU: on a busy machine a server starved of CPU also
    spends little, with its requests still queued.
    """
    deadline = time.monotonic() + timeout_s
    reading = CpuReading.of(pid)
    while True:
        time.sleep(IDLE_POLL_S)
        later = CpuReading.of(pid)
        quiet = later.since(reading) * 1e9 < IDLE_BELOW_NS and not later.runnable
        if quiet or time.monotonic() > deadline:
            return later
        reading = later
