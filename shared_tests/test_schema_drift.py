"""Schema drift is named at start, and a pool timeout is told apart from a database that is down.

The teaching app's second and third "break it" lessons: a column added to the table definition
without a migration, and a session never closed. Both used to end in the same anonymous
``503 Database unavailable`` on every request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, DateTime, MetaData, text

from shared_tests.app_database import hold_connection
from shared_tests.backends import fresh_handle
from shared_tests.conftest import AppFactory
from shared_tests.live_server import run_to_exit
from todo_contract.errors import DATABASE_UNAVAILABLE, POOL_TIMEOUT
from todo_contract.migrate import SchemaError, prepare, upgrade, write_revision
from todo_contract.settings import Settings
from todo_contract.table import metadata, todos


def metadata_with_a_due_column() -> MetaData:
    """A copy of the table definitions with one column no migration adds."""
    copy = MetaData()
    table = todos.to_metadata(copy)
    table.append_column(Column("due", DateTime, nullable=True))
    return copy


def test_a_column_defined_in_code_but_not_migrated_is_refused_at_start(
    database_url: str,
) -> None:
    with fresh_handle(database_url) as database:
        with pytest.raises(SchemaError) as refused:
            prepare(database, migrate=True, metadata=metadata_with_a_due_column())
        prepare(database, migrate=True, metadata=metadata)  # the real definitions match

    message = str(refused.value)
    assert "column todos.due (DATETIME) is defined in the code but missing from the database" in (
        message
    )
    assert "python -m todo_contract revision -m" in message


@pytest.mark.slow
def test_the_real_server_refuses_a_hand_added_column_in_one_line(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    with fresh_handle(database_url) as database:
        upgrade(database)
        with database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE todos ADD COLUMN due INTEGER"))

    result = run_to_exit(app_kind, ["--database-url", database_url], cwd=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert output.strip().splitlines()[-1] == (
        "error: the database does not match the table definitions in the code: column "
        "todos.due is in the database but not in the code. If the code changed, write a "
        "migration with: python -m todo_contract revision -m 'describe the change' "
        f"--database-url '{output.split(chr(39))[-2]}', review it, and start the app again"
    )


def test_the_revision_command_writes_the_missing_migration(
    database_url: str, tmp_path: Path
) -> None:
    with fresh_handle(database_url) as database:
        upgrade(database)
        with database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE todos ADD COLUMN due INTEGER"))
        path = write_revision(database.engine, "drop due", directory=str(tmp_path))

    written = Path(path).read_text()
    assert Path(path).parent == tmp_path
    assert "revision = '0003'" in written or 'revision = "0003"' in written
    assert "drop_column('due')" in written or 'drop_column("due")' in written


# --- Pool timeout ----------------------------------------------------------------------------


def test_a_pool_timeout_has_its_own_503_distinct_from_a_database_failure(
    create_app: AppFactory, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(pool_size=1, pool_timeout=0.2)
    app = create_app(database_url, settings=settings)
    with TestClient(app) as client:
        held = hold_connection(client)  # never returned, as a leak keeps it
        try:
            response = client.get("/todos")
            health = client.get("/health")
        finally:
            held.close()
        recovered = client.get("/todos")

    assert response.status_code == 503
    assert response.json() == {"detail": POOL_TIMEOUT}
    assert not POOL_TIMEOUT.startswith(DATABASE_UNAVAILABLE)
    assert health.status_code == 503
    assert health.json()["detail"] == POOL_TIMEOUT
    assert any("503 pool timeout on GET /todos" in r.getMessage() for r in caplog.records)
    assert recovered.status_code == 200
