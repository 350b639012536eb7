"""The environment a run measured: machine, Python, packages, databases, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from todo_contract.server import server_stack

PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "sqlalchemy",
    "uvicorn",
    "psycopg",
    "psycopg-binary",
    "pymysql",
    "alembic",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's best guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    """The commit the benchmark ran from, with ``-dirty`` when files were changed."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # reports/ is where runs write; a changed report is not a change to what ran
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!reports"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def database_version(engine: Engine) -> str:
    """What the database says its version is."""
    backend = engine.url.get_backend_name()
    query = "SELECT sqlite_version()" if backend == "sqlite" else "SELECT version()"
    with engine.connect() as connection:
        return f"{backend} {connection.execute(text(query)).scalar_one()}"


def environment(database_versions: dict[str, str]) -> dict[str, Any]:
    """Everything about this machine and software a reader needs to judge the figures."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        # what serves the apps over the wire (same interpreter and packages as this process)
        "server_stack": server_stack(),
        "databases": database_versions,
        "git_commit": git_commit(),
    }
