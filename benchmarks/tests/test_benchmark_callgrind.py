"""``benchmarks.callgrind``: reading callgrind's dumps, and the marker method on a real program.

These tests take no ``app_kind``/``backend`` fixture, so they run once whatever is selected.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.callgrind import (
    OTHER_OBJECTS,
    by_family,
    callgrind_command,
    object_family,
    parse_dump,
    read_dumps,
    start_instrumentation,
    valgrind_path,
)

# A dump in callgrind's format with name compression: ``ob=(1) name`` defines object 1, a
# later ``ob=(1)`` refers to it, ``cob=`` defines names too, and the cost line after
# ``calls=`` is the call's inclusive cost, already counted in the callee.
DUMP = """\
# callgrind format
version: 1
creator: callgrind-3.19.0
events: Ir
summary: 1175

ob=(1) /usr/lib/libpython3.11.so.1.0
fl=(1) ceval.c
fn=(1) _PyEval_EvalFrameDefault
10 1000
cob=(2) /usr/lib/x86_64-linux-gnu/libsqlite3.so.0
cfi=(2) sqlite3.c
cfn=(2) sqlite3_step
calls=1 20
11 150
+1 25

ob=(2)
fl=(2)
fn=(2)
20 150
"""


def test_a_dump_gives_its_total_and_the_self_cost_of_each_object() -> None:
    dump = parse_dump(DUMP)
    assert dump.total == 1175
    assert dump.by_object == {
        "/usr/lib/libpython3.11.so.1.0": 1025,
        "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0": 150,
    }
    assert sum(dump.by_object.values()) == dump.total


def test_a_dump_without_a_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="summary"):
        parse_dump("events: Ir\nob=(1) x\n1 5\n")


def test_object_files_are_charged_to_their_family() -> None:
    assert object_family("/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6").startswith("SQLite")
    assert object_family("/x/lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so").startswith(
        "driver"
    )
    pydantic = "/v/site-packages/pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so"
    assert object_family(pydantic).startswith("pydantic-core")
    assert object_family("/root/.pyenv/versions/3.11.7/bin/python3.11").startswith("Python")
    assert object_family("/usr/lib/x86_64-linux-gnu/libc.so.6").startswith("C library")
    assert object_family("???") == OTHER_OBJECTS
    assert by_family({"/a/libsqlite3.so": 5, "/b/libsqlite3.so.0": 7, "???": 1}) == {
        "SQLite itself (libsqlite3)": 12,
        OTHER_OBJECTS: 1,
    }


@pytest.mark.slow
def test_each_marker_ends_a_segment_whose_dump_counts_only_what_ran_in_it(
    tmp_path: Path,
) -> None:
    script = (
        "from benchmarks.callgrind import mark, start_instrumentation\n"
        "def work(n):\n"
        "    return sum(i * i for i in range(n))\n"
        "mark()\n"  # not seen: instrumentation is still off
        "work(50000)\n"
        "start_instrumentation()\n"
        "mark()\n"
        "work(20000)\n"
        "mark()\n"
        "work(0)\n"
        "mark()\n"
    )
    command = callgrind_command([sys.executable, "-c", script], tmp_path)
    environment = {"PYTHONHASHSEED": "0", "PATH": os.environ["PATH"]}
    subprocess.run(command, check=True, capture_output=True, env=environment)
    dumps = read_dumps(tmp_path)
    assert len(dumps) == 3  # one per marker seen; the end-of-program dump is left out
    switched_on, busy, idle = (dump.total for dump in dumps)
    assert busy > 20000 * 10 > idle  # a loop of 20,000 steps against an empty one
    # Neither the start-up and imports nor the loop of 50,000 before the switch were counted.
    assert switched_on < busy
    for dump in dumps:
        assert sum(dump.by_object.values()) == dump.total


def test_turning_instrumentation_on_outside_callgrind_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="could not turn instrumentation on"):
        start_instrumentation()


def test_a_missing_valgrind_is_an_error_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="apt-get install valgrind"):
        valgrind_path()
