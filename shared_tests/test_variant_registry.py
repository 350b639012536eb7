"""A new variant is its own package plus one registry entry: the suite picks it up by itself.

The throwaway variant ``second-core`` (``shared_tests.second_core_app``) is registered by a
plugin for one pytest run in a subprocess; nothing else in the suite names it. (The
benchmark's half of the proof is ``benchmarks/tests/test_variant_registry.py``.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared_tests.second_core_app import VARIANT
from todo_contract.variants import Variant, register, registered, variant, variants

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ["-p", "shared_tests.second_core_app.plugin"]


def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` from the project's root, without xdist or coverage."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_the_suite_parametrizes_every_app_test_over_a_newly_registered_variant() -> None:
    listed = pytest_run("--collect-only", "-q", "--backend", "sqlite", *REGISTER)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    ids = [line for line in listed.stdout.splitlines() if "::" in line]
    for name in (*(v.name for v in variants()), VARIANT.name):
        assert any(f"[{name}-sqlite]" in line for line in ids), f"no test runs on {name}"
    per_variant = {
        name: sum(f"[{name}-sqlite]" in line for line in ids)
        for name in (*(v.name for v in variants()), VARIANT.name)
    }
    assert len(set(per_variant.values())) == 1, per_variant


@pytest.mark.slow
def test_without_the_plugin_the_throwaway_variant_is_not_in_the_suite() -> None:
    listed = pytest_run("--collect-only", "-q", "--backend", "sqlite", "shared_tests/test_read.py")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert VARIANT.name not in listed.stdout
    assert all(f"[{v.name}-sqlite]" in listed.stdout for v in variants())


@pytest.mark.slow
def test_a_newly_registered_variant_passes_contract_tests_it_was_never_written_for() -> None:
    ran = pytest_run(
        "-q", "--backend", "sqlite", *REGISTER, "-k", VARIANT.name, "shared_tests/test_create.py"
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert " passed" in ran.stdout and " failed" not in ran.stdout


def test_a_variant_name_can_be_registered_only_once() -> None:
    with registered(VARIANT), pytest.raises(ValueError, match="registered already"):
        register(VARIANT)
    assert VARIANT not in variants()


def test_a_variant_with_an_unknown_baseline_is_refused() -> None:
    orphan = Variant(**{**VARIANT.__dict__, "name": "orphan", "baseline": "no-such-variant"})
    with pytest.raises(ValueError, match="unknown baseline"):
        register(orphan)
    assert orphan not in variants()


def test_an_unknown_variant_name_lists_the_known_ones() -> None:
    known = ", ".join(v.name for v in variants())
    with pytest.raises(KeyError, match=f"known: {known}"):
        variant("no-such-variant")


def test_every_registered_variant_serves_its_own_app_and_command() -> None:
    for registered_variant in variants():
        app = registered_variant.create_app("sqlite:///unused.db")
        assert app.title
        command = registered_variant.command("--port", "1")
        assert command[:2] == [sys.executable, "-m"]
        assert command[-2:] == ["--port", "1"]
        assert callable(registered_variant.module("db").open_unit)
