"""Every failure before serving is a short message naming the cause and the fix, exit status 1.

Each case runs the variant's command line (``python -m orm_app`` / ``python -m core_app`` …)
to its exit and reads what a user would read in the terminal: no traceback at the default log
level, at most a few lines. The command line runs in this process
(``shared_tests.command_line``), since a refusal is decided before the app is imported; the
first test shows that the real process prints the same, and the cases that need a process of
their own (worker processes, a server that does start) start one.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from shared_tests.command_line import run_in_process
from shared_tests.helpers import without_timestamps
from shared_tests.live_server import free_port, live_server, run_to_exit
from todo_contract.migrate import head_revision


def refusal(app_kind: str, args: list[str], cwd: Path) -> str:
    """Run the command line with ``args``; assert it refused to start briefly; return its
    message."""
    result = run_in_process(app_kind, args, cwd=cwd)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    lines = output.strip().splitlines()
    assert len(lines) <= 2, output
    assert lines[-1].startswith("error: "), output
    return lines[-1]


def elsewhere(database_url: str, **changes: object) -> str:
    """``database_url`` with some parts changed (port, database, drivername)."""
    url = make_url(database_url).set(**changes)  # type: ignore[arg-type]
    return url.render_as_string(hide_password=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--database-url", "oracle://scott@db/x"],
        ["--workers", "0"],
        ["--database-url", "sqlite:////no/such/directory/todos.db", "--log-level", "debug"],
    ],
    ids=["refusal", "usage-error", "debug-traceback"],
)
def test_the_command_line_in_process_exits_as_the_real_process_does(
    app_kind: str, tmp_path: Path, args: list[str]
) -> None:
    args = ["--port", str(free_port()), *args]

    real = run_to_exit(app_kind, args, cwd=tmp_path, timeout=30)
    here = run_in_process(app_kind, args, cwd=tmp_path)

    assert (here.returncode, here.stdout) == (real.returncode, real.stdout)
    assert without_timestamps(here.stderr) == without_timestamps(real.stderr)
    assert here.stderr.strip(), "nothing was printed: the comparison shows nothing"


@pytest.mark.backends("postgresql", "mariadb")
def test_an_unreachable_database_server_is_one_line_naming_it(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    url = elsewhere(database_url, port=free_port())

    message = refusal(app_kind, ["--database-url", url], tmp_path)

    assert "cannot connect to" in message
    assert "refused" in message
    assert "is the server running" in message


@pytest.mark.backends("postgresql", "mariadb")
def test_a_database_that_does_not_exist_is_named_with_the_fix(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    url = elsewhere(database_url, database="todo_no_such_database")

    message = refusal(app_kind, ["--database-url", url], tmp_path)

    assert "create the database todo_no_such_database first" in message


@pytest.mark.slow  # a real server
@pytest.mark.backends("postgresql")
def test_a_postgres_scheme_url_is_accepted(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    url = elsewhere(database_url, drivername="postgres")
    assert url.startswith("postgres://")

    with live_server(app_kind, ["--database-url", url], cwd=tmp_path) as server:
        assert httpx.post(f"{server.base_url}/todos", json={"title": "x"}).status_code == 201


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("todos.db", "is not a database URL; write sqlite:///path/to/todos.db"),
        ("sqlite:/todos.db", "is not a database URL"),
        ("postgresql://u:secret@h:port/db", "'postgresql://u:***@h:port/db' is not a database URL"),
        ("oracle://scott@db/x", "unsupported database 'oracle'"),
        ("sqlite://", "not an in-memory database"),
    ],
)
def test_a_malformed_or_unsupported_url_says_what_to_write(
    app_kind: str, tmp_path: Path, url: str, expected: str
) -> None:
    message = refusal(app_kind, ["--database-url", url], tmp_path)

    assert expected in message
    assert "secret" not in message


def test_a_missing_directory_for_the_sqlite_file_names_the_mkdir(
    app_kind: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such"

    message = refusal(app_kind, ["--database-url", f"sqlite:///{missing}/todos.db"], tmp_path)

    assert f"the directory {missing} does not exist" in message
    assert f"mkdir -p {missing}" in message


def test_a_sqlite_path_under_a_file_is_refused(app_kind: str, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")

    message = refusal(
        app_kind, ["--database-url", f"sqlite:///{tmp_path}/afile/todos.db"], tmp_path
    )

    assert "afile is not a directory" in message


def test_a_file_that_is_not_a_sqlite_database_is_refused(app_kind: str, tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database, " * 100)

    message = refusal(app_kind, ["--database-url", f"sqlite:///{tmp_path}/notes.db"], tmp_path)

    assert "notes.db is not a SQLite database" in message
    assert (tmp_path / "notes.db").read_text().startswith("not a database"), "file was changed"


def test_a_directory_nobody_may_write_is_named(app_kind: str, tmp_path: Path) -> None:
    """/proc refuses new files even to root, so this fails the same way for every user."""
    message = refusal(app_kind, ["--database-url", "sqlite:////proc/todos.db"], tmp_path)

    assert "/proc/todos.db" in message
    assert "permission" in message


def test_a_schema_behind_with_no_migrate_is_one_line_with_the_upgrade_command(
    app_kind: str, empty_database_url: str, tmp_path: Path
) -> None:
    args = ["--database-url", empty_database_url, "--no-migrate"]
    message = refusal(app_kind, args, tmp_path)

    assert f"needs {head_revision()}" in message
    assert "python -m todo_contract upgrade --database-url" in message


def test_a_port_in_use_is_named_with_the_fix(app_kind: str, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        database = f"sqlite:///{tmp_path}/todos.db"
        message = refusal(app_kind, ["--port", str(port), "--database-url", database], tmp_path)

    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert "--port" in message
    assert not (tmp_path / "todos.db").exists(), "the port is checked before the database"


def test_debug_level_adds_the_traceback(app_kind: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = run_in_process(
        app_kind,
        ["--database-url", f"sqlite:///{missing}/todos.db", "--log-level", "debug"],
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot create")


@pytest.mark.slow  # a real process: no worker process may be started, or print
def test_with_workers_a_refusal_is_still_one_line_from_the_parent(
    app_kind: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such"
    args = ["--workers", "2", "--database-url", f"sqlite:///{missing}/todos.db"]

    result = run_to_exit(app_kind, args, cwd=tmp_path, timeout=30)

    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot create the SQLite database"), line
    assert f"the directory {missing} does not exist" in line


@pytest.mark.parametrize("count", ["0", "-1", "two"])
def test_a_worker_count_below_one_is_a_usage_error(
    app_kind: str, tmp_path: Path, count: str
) -> None:
    result = run_in_process(app_kind, ["--workers", count], cwd=tmp_path)

    assert result.returncode == 2
    assert "argument --workers" in result.stderr
    assert "Traceback" not in result.stderr
