"""Migrated databases for every test, without running Alembic for every test.

Creating a database and migrating it cost about 0.2–0.8 s a test on PostgreSQL and MariaDB,
which across a few thousand tests was most of the suite's time. Instead each xdist worker
migrates one *template* per backend once, with the real migrations, and every test gets a
fresh copy of it:

- PostgreSQL: a schema of its own in the worker's template database, built from the
  template's own DDL (``pg_dump --schema-only`` of the migrated ``public`` schema) and
  reached through ``search_path`` in the URL. (A database per test, even ``CREATE DATABASE …
  TEMPLATE``, costs a checkpoint on every ``DROP DATABASE``: 0.3–0.7 s a test here.)
- MariaDB, which has no templates: a new database with each table re-created from
  ``SHOW CREATE TABLE`` of the template;
- SQLite: a copy of the migrated file.

In every case ``alembic_version``'s row is copied too, so the app finds the head revision.
Copies are dropped in a background thread, so no test waits for a ``DROP``; the thread is
drained before the session ends. Tests of the migration path itself (empty databases,
tutorial files, earlier revisions) ask for ``empty_database_url`` instead.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, NullPool, create_engine, make_url, text

from shared_tests.backends import SERVER_URLS
from todo_contract.database import open_database
from todo_contract.migrate import upgrade
from todo_contract.scratch import scratch_database

SQLITE_FILE = "todos.db"
MARIADB_CHARSET = "utf8mb4 COLLATE utf8mb4_bin"  # as todo_contract.scratch creates them
TEMPLATE_SCHEMA = "public"


def schema_of(database_url: str) -> str:
    """The PostgreSQL schema a test's URL points at (its ``search_path``), else ``public``."""
    options = make_url(database_url).query.get("options", "")
    for option in (options,) if isinstance(options, str) else options:
        if option.startswith("-csearch_path="):
            return option.removeprefix("-csearch_path=")
    return TEMPLATE_SCHEMA


def _admin_engine(url: str | URL) -> Engine:
    """An unpooled AUTOCOMMIT engine (a MariaDB copy switches its connection with ``USE``,
    which must not outlive the copy)."""
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


class Dropper:
    """Drops test databases (and PostgreSQL schemas) in a thread of its own."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Engine, str] | None] = queue.Queue()
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
        self._thread.start()

    def drop(self, engine: Engine, statement: str) -> None:
        """Run ``statement`` (a ``DROP``) on ``engine`` soon."""
        self._queue.put((engine, statement))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            engine, statement = item
            try:
                with engine.connect() as connection:
                    connection.execute(text(statement))
            except Exception as exc:  # noqa: BLE001 - reported by close(), never lost
                self.errors.append(f"{statement}: {exc}")

    def close(self) -> None:
        """Wait for every queued drop; raise if any failed."""
        self._queue.put(None)
        self._thread.join()
        if self.errors:
            raise RuntimeError("test databases left behind: " + "; ".join(self.errors))


class Templates:
    """One migrated template per backend (made on first use) and fresh copies of it."""

    def __init__(self, workdir: Path, worker: str) -> None:
        self.workdir = workdir
        self.worker = worker
        self.dropper = Dropper()
        self._templates: dict[str, str] = {}
        self._engines: dict[str, Engine] = {}
        self._ddl = ""
        self._lock = threading.Lock()

    def admin(self, backend: str) -> Engine:
        """The server's maintenance database, for creating and dropping databases."""
        if backend not in self._engines:
            self._engines[backend] = _admin_engine(SERVER_URLS[backend])
        return self._engines[backend]

    def template(self, backend: str) -> str:
        """The URL of ``backend``'s template, migrated to the head revision by Alembic."""
        with self._lock:
            if backend not in self._templates:
                self._templates[backend] = self._make_template(backend)
            return self._templates[backend]

    def _make_template(self, backend: str) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{self.workdir / f'template-{uuid.uuid4().hex[:8]}.db'}"
        else:
            name = f"todo_tmpl_{self.worker}_{uuid.uuid4().hex[:8]}"
            charset = "" if backend == "postgresql" else f" CHARACTER SET {MARIADB_CHARSET}"
            with self.admin(backend).connect() as connection:
                connection.execute(text(f"CREATE DATABASE {_quoted(backend, name)}{charset}"))
            url = _with_database(SERVER_URLS[backend], name)
        database = open_database(url)
        try:
            upgrade(database)
        finally:
            database.dispose()
        if backend == "postgresql":
            self._ddl = _schema_ddl(url)
            self._engines["postgresql-template"] = _admin_engine(url)
        return url

    @contextmanager
    def copy(self, backend: str, directory: Path) -> Iterator[str]:
        """A fresh copy of the template (SQLite: in ``directory``), gone afterwards."""
        template = self.template(backend)
        if backend == "sqlite":
            target = directory / SQLITE_FILE
            shutil.copyfile(make_url(template).database or "", target)
            yield f"sqlite:///{target}"
            return
        name = f"t_{self.worker}_{uuid.uuid4().hex[:12]}".lower()
        if backend == "postgresql":
            yield from self._postgresql_copy(template, name)
        else:
            yield from self._mariadb_copy(template, name)

    def _postgresql_copy(self, template: str, schema: str) -> Iterator[str]:
        engine = self._engines["postgresql-template"]
        ddl = self._ddl.replace(f"{TEMPLATE_SCHEMA}.", f"{schema}.").replace(
            f"CREATE SCHEMA {TEMPLATE_SCHEMA};", f"CREATE SCHEMA {schema};"
        )
        with engine.connect() as connection:
            connection.exec_driver_sql(ddl)
            connection.exec_driver_sql(
                f"INSERT INTO {schema}.alembic_version"
                f" SELECT * FROM {TEMPLATE_SCHEMA}.alembic_version"
            )
        url = make_url(template).update_query_dict(
            {"options": f"-csearch_path={schema}", "application_name": schema}
        )
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            # Sessions a test left open would hold locks the DROP waits for: end them first.
            self.dropper.drop(
                engine,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE application_name = '{schema}' AND pid <> pg_backend_pid()",
            )
            self.dropper.drop(engine, f"DROP SCHEMA {schema} CASCADE")

    def _mariadb_copy(self, template: str, name: str) -> Iterator[str]:
        source = make_url(template).database
        with self.admin("mariadb").connect() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {MARIADB_CHARSET}"))
            tables = connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = :schema ORDER BY table_name"
                ),
                {"schema": source},
            ).scalars()
            connection.execute(text(f"USE `{name}`"))
            connection.execute(text("SET foreign_key_checks = 0"))
            for table in list(tables):
                ddl = connection.execute(text(f"SHOW CREATE TABLE `{source}`.`{table}`")).one()
                connection.execute(text(ddl[1]))
            connection.execute(
                text(f"INSERT INTO alembic_version SELECT * FROM `{source}`.alembic_version")
            )
        try:
            yield _with_database(template, name)
        finally:
            self.dropper.drop(self.admin("mariadb"), f"DROP DATABASE IF EXISTS `{name}`")

    def close(self) -> None:
        """Drop the templates and every copy still queued."""
        for backend, url in self._templates.items():
            if backend != "sqlite":
                name = make_url(url).database or ""
                force = " WITH (FORCE)" if backend == "postgresql" else ""
                drop = f"DROP DATABASE IF EXISTS {_quoted(backend, name)}{force}"
                self.dropper.drop(self.admin(backend), drop)
        try:
            self.dropper.close()
        finally:
            for engine in self._engines.values():
                engine.dispose()


def _quoted(backend: str, name: str) -> str:
    return f'"{name}"' if backend == "postgresql" else f"`{name}`"


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _schema_ddl(url: str) -> str:
    """The DDL of the migrated ``public`` schema, as ``pg_dump`` writes it (client-side
    ``\\`` commands and comments left out), to be replayed in each test's own schema."""
    parsed = make_url(url)
    command = [
        "pg_dump",
        f"--host={parsed.host or '127.0.0.1'}",
        f"--port={parsed.port or 5432}",
        f"--username={parsed.username or 'postgres'}",
        f"--dbname={parsed.database}",
        f"--schema={TEMPLATE_SCHEMA}",
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        "--no-comments",
    ]
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    dump = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    lines = [line for line in dump.splitlines() if not line.startswith(("\\", "--"))]
    return "\n".join(lines)


@contextmanager
def empty_database(backend: str, directory: Path, worker: str) -> Iterator[str]:
    """A new, empty database (no tables at all), for tests of the migration path."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / SQLITE_FILE}"
        return
    name = f"todo_test_{worker}_{uuid.uuid4().hex[:12]}"
    with scratch_database(SERVER_URLS[backend], name) as url:
        yield url
