"""Counting CPU instructions with valgrind's callgrind, segment by segment.

Instruction counts do not wander with the machine's load the way times do: callgrind runs the
program on a simulated CPU and counts every instruction it executes, so the same binary, inputs
and environment give the same total whatever else the machine is doing.

One process measures many things. The measured script calls ``os.getppid()`` as a *marker*
between segments, and callgrind is told to dump its counters (and zero them) every time the
C library's ``getppid`` is entered (``--dump-before``). Dump file ``.k`` then holds exactly
what ran between marker ``k - 1`` and marker ``k``; nothing else in the benchmark calls
``getppid``. Each dump is read for its total and for the instructions spent *in* each object
file (the interpreter, SQLite, the driver's C module, pydantic-core, the C library...).

The program starts with callgrind's instrumentation off (``--instr-atstart=no``) and turns it on
itself once it is ready to measure (``start_instrumentation``): until then it runs on valgrind's
core alone, several times faster. The interpreter's start-up, the imports and the seeding fall
outside every measured segment anyway; instrumented, they took most of a count's minute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MARKER_FUNCTION = "getppid"
TOOL = "callgrind"
CONTROL_TIMEOUT_S = 120
INSTALL_HINT = (
    "valgrind is not installed: `apt-get install valgrind` (Debian/Ubuntu) or "
    "`brew install valgrind` (Linux Homebrew) — instruction counts need callgrind"
)

# (family, substrings of the object file's path), first match wins
OBJECT_FAMILIES: list[tuple[str, tuple[str, ...]]] = [
    ("SQLite itself (libsqlite3)", ("libsqlite3",)),
    ("driver C code (_sqlite3, psycopg, libpq)", ("_sqlite3", "psycopg", "libpq")),
    ("pydantic-core (compiled validation)", ("pydantic_core",)),
    ("SQLAlchemy compiled extensions", ("sqlalchemy",)),
    ("other compiled modules (json, asyncio, ...)", ("lib-dynload", "site-packages")),
    (
        "Python interpreter: all pure-Python code (SQLAlchemy, FastAPI, Starlette, the apps)",
        ("libpython", "/python"),
    ),
    ("C library (allocation, copying, system calls)", ("libc.", "libc-", "ld-linux", "libm.")),
]
OTHER_OBJECTS = "other objects"


def object_family(path: str) -> str:
    """The family an object file's instructions are charged to."""
    for family, needles in OBJECT_FAMILIES:
        if any(needle in path for needle in needles):
            return family
    return OTHER_OBJECTS


def valgrind_path() -> str:
    """Where valgrind is; a missing valgrind is an error, never a silent skip."""
    found = shutil.which("valgrind")
    if found is None:
        raise RuntimeError(INSTALL_HINT)
    return found


def callgrind_command(program: Sequence[str], output_dir: Path) -> list[str]:
    """``valgrind --tool=callgrind`` around ``program``, dumping at every marker.

    Instrumentation starts off: ``program`` calls ``start_instrumentation`` before its first
    marker (without it, callgrind sees no marker and counts nothing).
    """
    return [
        valgrind_path(),
        f"--tool={TOOL}",
        "--instr-atstart=no",
        f"--dump-before={MARKER_FUNCTION}",
        f"--callgrind-out-file={output_dir / 'callgrind.out.%p'}",
        "--quiet",
        *program,
    ]


def start_instrumentation() -> None:
    """Turn callgrind's instrumentation on in this process, which runs under ``callgrind_command``.

    ``callgrind_control`` (part of valgrind) reaches the process through valgrind's gdbserver
    and returns once the switch is made, so whatever runs after this call is counted.
    """
    control = shutil.which("callgrind_control")
    if control is None:
        raise RuntimeError(INSTALL_HINT)
    # callgrind_control exits with 0 even when it finds no such callgrind run: read its answer.
    answer = subprocess.run(
        [control, "--instr=on", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=CONTROL_TIMEOUT_S,
        check=False,
    )
    if "OK." not in answer.stdout:
        raise RuntimeError(
            f"callgrind_control could not turn instrumentation on:\n{answer.stdout}{answer.stderr}"
        )


def mark() -> None:
    """End the current segment (callgrind dumps and zeroes its counters here)."""
    os.getppid()


@dataclass(frozen=True)
class Dump:
    """One segment: its instruction total and where those instructions ran."""

    total: int
    by_object: dict[str, int]  # object file path -> instructions executed in it (self cost)


_DEFINITION = re.compile(r"^c?ob=\((\d+)\)(?: (.*))?$")


def parse_dump(text: str) -> Dump:
    """Read a callgrind output file (``events: Ir``, name compression on).

    A cost line after ``calls=`` is the inclusive cost of that call, already counted where
    the callee ran, so it is skipped; every other cost line is self cost of the current
    object. The self costs add up to the dump's ``summary``, which the caller may check.
    """
    names: dict[str, str] = {}
    by_object: dict[str, int] = defaultdict(int)
    current = "???"
    total: int | None = None
    after_call = False
    for line in text.splitlines():
        if not line:
            continue
        if line[0].isdigit() or line[0] in "+-*":
            if after_call:
                after_call = False
                continue
            parts = line.split()
            if len(parts) > 1:
                by_object[current] += int(parts[1])
            continue
        if line.startswith(("ob=", "cob=")):
            match = _DEFINITION.match(line)
            if match is None:
                raise ValueError(f"unreadable object line in a callgrind dump: {line!r}")
            number, name = match.groups()
            if name is not None:
                names[number] = name
            if line.startswith("ob="):
                current = names.get(number, "???")
        elif line.startswith("calls="):
            after_call = True
        elif line.startswith(("summary:", "totals:")):
            total = int(line.split(":", 1)[1].split()[0])
    if total is None:
        raise ValueError("a callgrind dump without a summary line")
    return Dump(total=total, by_object=dict(by_object))


def read_dumps(output_dir: Path) -> list[Dump]:
    """The marker dumps of the one process that wrote into ``output_dir``, in order.

    ``callgrind.out.<pid>.<k>`` is the segment that ended at marker ``k``; the file without a
    number (the program's end) is left out.
    """
    numbered: list[tuple[int, Path]] = []
    for path in output_dir.glob("callgrind.out.*.*"):
        suffix = path.name.rsplit(".", 1)[1]
        if suffix.isdigit():
            numbered.append((int(suffix), path))
    numbered.sort()
    return [parse_dump(path.read_text(encoding="utf-8", errors="replace")) for _, path in numbered]


def by_family(by_object: dict[str, int]) -> dict[str, int]:
    """Per-object costs summed into ``OBJECT_FAMILIES``."""
    families: dict[str, int] = defaultdict(int)
    for path, cost in by_object.items():
        families[object_family(path)] += cost
    return dict(families)
