"""The database backends the suite runs on, and fresh databases on each of them.

Every test gets a database of its own, created before it and dropped after it, so tests never
share state and can run in any order (or in parallel workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from todo_contract.database import Database, open_database
from todo_contract.variants import variants

BACKENDS = ("sqlite", "postgresql", "mariadb")
SERVER_URLS = {
    "postgresql": os.environ.get(
        "TODO_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("TODO_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
HOW_TO_START = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "mariadb": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
}


def selected_backends(option: str) -> list[str]:
    """Parse ``--backend sqlite,postgresql`` (or ``all``) into backend names."""
    names = list(BACKENDS) if option.strip() == "all" else [n.strip() for n in option.split(",")]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise ValueError(f"unknown backend(s) {unknown}; choose from {', '.join(BACKENDS)}")
    return names


def unreachable_reason(backend: str) -> str | None:
    """None when the server behind ``backend`` answers, else why not and how to start it."""
    if backend == "sqlite":
        return None
    engine = create_engine(SERVER_URLS[backend], connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        first_line = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return (
            f"{backend} at {engine.url.render_as_string(hide_password=True)} is unreachable "
            f"({first_line}). Start it with:\n    {HOW_TO_START[backend]}\n"
            f"or test without it: make test-sqlite / pytest --backend sqlite"
        )
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_handle(database_url: str) -> Iterator[Database]:
    """A database handle like an app's, on ``database_url``, disposed afterwards."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def fresh_engine(database_url: str) -> Iterator[Engine]:
    """A plain engine on ``database_url`` for looking at (or preparing) a database directly."""
    with fresh_handle(database_url) as database:
        yield database.engine


def takes_the_long_run(app_kind: str, backend: str) -> bool:
    """Whether ``app_kind`` runs a soak's or load test's long version on ``backend``.

    Variants and backends are paired off in turn through the registry, as many pairs as the
    larger of the two counts: every backend and every variant gets at least one long run
    (with four variants and three backends, the fourth variant's is on the first backend
    again), and the other pairs run the short version, so an added variant adds one long run
    at most.
    """
    names = [variant.name for variant in variants()]
    pairs = max(len(names), len(BACKENDS))
    return (app_kind, backend) in {
        (names[turn % len(names)], BACKENDS[turn % len(BACKENDS)]) for turn in range(pairs)
    }
