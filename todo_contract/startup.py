"""Everything that can stop an app before it serves, checked first and told in one line.

``python -m orm_app``/``core_app`` bind the port and prepare the database here, before uvicorn
starts, so that a failure is a sentence naming the cause and the fix rather than a traceback
from inside uvicorn's lifespan handling. Each check raises ``StartupError``; the command line
prints its message and exits non-zero (with the traceback only at ``--log-level debug``).
"""

from __future__ import annotations

import errno
import os
import re
import socket
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from todo_contract.database import Database, normalize_url, open_database, redact
from todo_contract.migrate import SchemaError, prepare
from todo_contract.settings import Settings

URL_FORMS = (
    "sqlite:///path/to/todos.db, postgresql+psycopg://user:password@host:5432/dbname "
    "or mysql+pymysql://user:password@host:3306/dbname"
)
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}


class StartupError(Exception):
    """The app cannot start; the message says why and what to do about it."""


def _masked(text: str) -> str:
    """A URL-like string with any password replaced, for a URL too broken to parse."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", text)


def parse_url(database_url: str) -> URL:
    """The URL as the apps will use it, or StartupError saying what to write instead."""
    try:
        make_url(database_url)
    except (ArgumentError, ValueError) as exc:
        why = "" if isinstance(exc, ArgumentError) else f" ({exc})"
        raise StartupError(
            f"--database-url {_masked(database_url)!r} is not a database URL{why}; "
            f"write {URL_FORMS}"
        ) from None
    try:
        return normalize_url(database_url)
    except ValueError as exc:
        raise StartupError(f"--database-url {_masked(database_url)!r}: {exc}") from None


def check_sqlite_path(path: Path) -> None:
    """The directory must exist, and the file (or, for a new file, the directory) be writable.

    SQLite also keeps ``-wal`` and ``-shm`` files beside the database, so the directory must
    be writable even when the file exists.
    """
    directory = path.parent
    if directory.exists() and not directory.is_dir():
        raise StartupError(
            f"cannot create the SQLite database {path}: {directory} is not a directory; "
            "choose another path with --database-url"
        )
    if not directory.is_dir():
        raise StartupError(
            f"cannot create the SQLite database {path}: the directory {directory} does not "
            f"exist; create it (mkdir -p {directory}) or choose another path with --database-url"
        )
    if path.exists() and not path.is_file():
        raise StartupError(
            f"the SQLite database path {path} is not a file; choose another path with "
            "--database-url"
        )
    for target in (path, directory) if path.exists() else (directory,):
        if not os.access(target, os.W_OK):
            raise StartupError(
                f"cannot write the SQLite database {path}: this user may not write to {target}; "
                "fix its permissions or choose another path with --database-url"
            )


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _cannot_connect(url: URL, exc: DBAPIError) -> StartupError:
    backend = url.get_backend_name()
    if backend == "sqlite" and "file is not a database" in _first_line(exc):
        return StartupError(
            f"{url.database} is not a SQLite database (file is not a database); choose another "
            "path with --database-url"
        )
    if backend == "sqlite":
        return StartupError(
            f"cannot open the SQLite database {url.database}: {_first_line(exc)}; check the "
            "path and its permissions, or choose another path with --database-url"
        )
    cause = _first_line(exc)
    if "does not exist" in cause or "Unknown database" in cause:
        hint = f"create the database {url.database} first, or name another in --database-url"
    else:
        hint = (
            "is the server running, and are the host, port, user and password in "
            "--database-url right?"
        )
    return StartupError(
        f"cannot connect to {BACKEND_NAMES.get(backend, backend)} at {redact(url)}: {cause}; {hint}"
    )


def prepare_database(database: Database, *, migrate: bool) -> None:
    """Connect, then migrate (or check) the schema; any failure becomes a StartupError."""
    url = database.engine.url
    try:
        with database.engine.connect():
            pass
    except DBAPIError as exc:
        raise _cannot_connect(url, exc) from exc
    try:
        prepare(database, migrate=migrate)
    except SchemaError as exc:
        raise StartupError(str(exc)) from exc
    except DBAPIError as exc:
        step = "upgrading" if migrate else "checking"
        raise StartupError(
            f"the database {redact(url)} failed while {step} its schema: {_first_line(exc)}"
        ) from exc


def check_database(database_url: str, *, migrate: bool, settings: Settings) -> None:
    """Everything about the database that must be right before serving it."""
    url = parse_url(database_url)
    if url.get_backend_name() == "sqlite":
        check_sqlite_path(Path(url.database or "").absolute())
    database = open_database(database_url, settings)
    try:
        prepare_database(database, migrate=migrate)
    finally:
        database.dispose()


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` for uvicorn, or StartupError naming the fix."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise StartupError(
            f"cannot listen on --host {host!r}: {exc.strerror}; use an address of this machine "
            "such as 127.0.0.1 or 0.0.0.0"
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use (is another server running?); stop "
                "it or choose another port with --port"
            ) from None
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"not allowed to listen on {where}: ports below 1024 need privileges; choose "
                "another port with --port"
            ) from None
        raise StartupError(
            f"cannot listen on {where}: {exc.strerror}; check --host and --port"
        ) from None
    return sock
