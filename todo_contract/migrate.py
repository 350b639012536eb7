"""Bring a database to the latest schema with Alembic — one history for both apps.

Three kinds of database come in:

- empty: upgraded from nothing;
- made by this project: has ``alembic_version``, upgraded from its revision;
- made by the original tutorial app: a ``todos`` table and no ``alembic_version``. It is
  *adopted*: stamped at revision 0001 (the tutorial's schema), then upgraded, every row kept.

Deleting the database to get a new schema would lose every todo; a migration keeps them.
"""

from __future__ import annotations

import logging
import os
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

from todo_contract.adoption import repair_tutorial_table
from todo_contract.database import Database, redact
from todo_contract.drift import differences
from todo_contract.table import metadata as table_metadata

logger = logging.getLogger("todo_contract")

TUTORIAL_REVISION = "0001"
TUTORIAL_COLUMNS = frozenset({"id", "title", "completed", "created_at"})


class SchemaError(RuntimeError):
    """The database's schema is not one this app can serve or upgrade."""


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(files("todo_contract") / "migrations"))
    return config


def head_revision() -> str:
    """The revision the code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has no ``alembic_version``."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_command(engine: Engine) -> str:
    """The shell command that upgrades this database, for messages."""
    return f"python -m todo_contract upgrade --database-url '{redact(engine.url)}'"


def _adopt_tutorial_database(connection: Connection, config: Config) -> None:
    tables = set(inspect(connection).get_table_names())
    if "todos" not in tables or "alembic_version" in tables:
        return
    columns = {column["name"] for column in inspect(connection).get_columns("todos")}
    if not TUTORIAL_COLUMNS.issubset(columns):
        raise SchemaError(
            f"table todos has columns {sorted(columns)}, not the tutorial's "
            f"{sorted(TUTORIAL_COLUMNS)}; refusing to guess how to upgrade it"
        )
    logger.info("adopting a database made by the tutorial app: stamping %s", TUTORIAL_REVISION)
    repair_tutorial_table(connection)
    command.stamp(config, TUTORIAL_REVISION)


def upgrade(database: Database) -> None:
    """Upgrade ``database`` to the head revision, adopting tutorial files."""
    engine = database.engine
    config = alembic_config()
    with database.writes.begin() as connection:
        config.attributes["connection"] = connection
        _adopt_tutorial_database(connection, config)
        before = current_revision(connection)
        command.upgrade(config, "head")
    after = head_revision()
    if before != after:
        logger.info("database %s upgraded from %s to %s", redact(engine.url), before, after)


def ensure_current(engine: Engine) -> None:
    """Refuse to serve (raise SchemaError) a database that is not at the head revision."""
    with engine.connect() as connection:
        found = current_revision(connection)
    expected = head_revision()
    if found != expected:
        raise SchemaError(
            f"the database is at revision {found or 'none (not migrated)'} but this app needs "
            f"{expected}; upgrade it with: {upgrade_command(engine)} "
            "(or start the app without --no-migrate)"
        )


def revision_command(engine: Engine) -> str:
    """The shell command that writes a migration for the code's table definitions."""
    return (
        "python -m todo_contract revision -m 'describe the change' "
        f"--database-url '{redact(engine.url)}'"
    )


def ensure_matches(engine: Engine, metadata: MetaData) -> None:
    """Refuse to serve (raise SchemaError) a database whose tables differ from ``metadata``."""
    with engine.connect() as connection:
        found = differences(connection, metadata)
    if found:
        raise SchemaError(
            "the database does not match the table definitions in the code: "
            + "; ".join(found)
            + f". If the code changed, write a migration with: {revision_command(engine)}"
            + ", review it, and start the app again"
        )


def write_revision(engine: Engine, message: str, *, directory: str | None = None) -> str:
    """Write a migration from the database to the code's tables (Alembic autogenerate).

    Returns the new file's path. ``directory`` overrides where it is written (for tests).
    """
    config = alembic_config()
    if directory is not None:
        versions = str(files("todo_contract") / "migrations" / "versions")
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join([versions, directory]))
    next_id = f"{int(head_revision()) + 1:04d}"
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        script = command.revision(
            config,
            message=message,
            autogenerate=True,
            rev_id=next_id,
            version_path=directory,
        )
    assert script is not None and not isinstance(script, list)
    return str(script.path)


def prepare(database: Database, *, migrate: bool, metadata: MetaData = table_metadata) -> None:
    """What an app does on start: upgrade, or with ``migrate=False`` check the revision; then
    check that the tables are those of ``metadata``."""
    if migrate:
        upgrade(database)
    else:
        ensure_current(database.engine)
    ensure_matches(database.engine, metadata)
