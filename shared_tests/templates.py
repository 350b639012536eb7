"""Migrated databases for every test, without running Alembic for every test.

Creating a database and migrating it costs about 0.2–0.8 s a test on PostgreSQL and MariaDB,
which across some two thousand tests was most of the suite's time. Instead each xdist worker
migrates one *template* per backend once, with the real migrations, and every test gets a
fresh copy of it:

- PostgreSQL: ``CREATE DATABASE copy TEMPLATE template`` (the server copies the files);
- MariaDB, which has no templates: a new database with each table re-created from
  ``SHOW CREATE TABLE`` of the template, and ``alembic_version``'s row copied;
- SQLite: a copy of the migrated file.

The copies are dropped in a background thread, so no test waits for a ``DROP DATABASE``;
the thread is drained before the session ends. Tests of the migration path itself (empty
databases, tutorial files, earlier revisions) ask for ``empty_database_url`` instead.
"""

from __future__ import annotations

import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, NullPool, create_engine, make_url, text

from shared_tests.backends import SERVER_URLS
from todo_contract.database import open_database
from todo_contract.migrate import upgrade
from todo_contract.scratch import scratch_database

SQLITE_FILE = "todos.db"
MARIADB_CHARSET = "utf8mb4 COLLATE utf8mb4_bin"  # as todo_contract.scratch creates them


def _quoted(backend: str, name: str) -> str:
    return f'"{name}"' if backend == "postgresql" else f"`{name}`"


class Dropper:
    """Drops databases in a thread of its own, off the tests' critical path."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._admins: dict[str, Engine] = {}
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
        self._thread.start()

    def admin(self, backend: str) -> Engine:
        """An AUTOCOMMIT engine on the server's maintenance database.

        Unpooled: a MariaDB copy switches its connection's default database (``USE``), which
        must not outlive the copy.
        """
        if backend not in self._admins:
            self._admins[backend] = create_engine(
                SERVER_URLS[backend], isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
        return self._admins[backend]

    def drop(self, backend: str, name: str) -> None:
        """Drop database ``name`` soon (connections still open to it are closed by force)."""
        self._queue.put((backend, name))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            backend, name = item
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            try:
                with self.admin(backend).connect() as connection:
                    connection.execute(
                        text(f"DROP DATABASE IF EXISTS {_quoted(backend, name)}{force}")
                    )
            except Exception as exc:  # noqa: BLE001 - reported by close(), never lost
                self.errors.append(f"{backend} {name}: {exc}")

    def close(self) -> None:
        """Wait for every queued drop; raise if any failed."""
        self._queue.put(None)
        self._thread.join()
        for engine in self._admins.values():
            engine.dispose()
        if self.errors:
            raise RuntimeError("databases left behind: " + "; ".join(self.errors))


class Templates:
    """One migrated template per backend (made on first use) and fresh copies of it."""

    def __init__(self, workdir: Path, worker: str) -> None:
        self.workdir = workdir
        self.worker = worker
        self.dropper = Dropper()
        self._templates: dict[str, str] = {}
        self._lock = threading.Lock()

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
            with self.dropper.admin(backend).connect() as connection:
                connection.execute(text(f"CREATE DATABASE {_quoted(backend, name)}{charset}"))
            url = (
                make_url(SERVER_URLS[backend])
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        database = open_database(url)
        try:
            upgrade(database)
        finally:
            database.dispose()  # no session may stay on a PostgreSQL template
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
        name = f"todo_test_{self.worker}_{uuid.uuid4().hex[:12]}"
        self._create_copy(backend, make_url(template).database or "", name)
        try:
            yield make_url(template).set(database=name).render_as_string(hide_password=False)
        finally:
            self.dropper.drop(backend, name)

    def _create_copy(self, backend: str, template: str, name: str) -> None:
        with self.dropper.admin(backend).connect() as connection:
            if backend == "postgresql":
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
                return
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {MARIADB_CHARSET}"))
            tables = connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = :schema ORDER BY table_name"
                ),
                {"schema": template},
            ).scalars()
            connection.execute(text(f"USE `{name}`"))
            connection.execute(text("SET foreign_key_checks = 0"))
            try:
                for table in list(tables):
                    ddl = connection.execute(
                        text(f"SHOW CREATE TABLE `{template}`.`{table}`")
                    ).one()[1]
                    connection.execute(text(ddl))
                connection.execute(
                    text(
                        f"INSERT INTO `{name}`.alembic_version"
                        f" SELECT * FROM `{template}`.alembic_version"
                    )
                )
            finally:
                connection.execute(text("SET foreign_key_checks = 1"))

    def close(self) -> None:
        """Drop the templates and every copy still queued."""
        for backend, url in self._templates.items():
            if backend != "sqlite":
                self.dropper.drop(backend, make_url(url).database or "")
        self.dropper.close()


@contextmanager
def empty_database(backend: str, directory: Path, worker: str) -> Iterator[str]:
    """A new, empty database (no tables at all), for tests of the migration path."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / SQLITE_FILE}"
        return
    name = f"todo_test_{worker}_{uuid.uuid4().hex[:12]}"
    with scratch_database(SERVER_URLS[backend], name) as url:
        yield url
