"""The suite's own database copies (``shared_tests.templates``): migrated, and each its own.

Every contract test trusts that its database starts at the head revision with no rows and
that nothing another test writes can reach it; a copy that shared its tables with the
template or with another copy would make tests depend on one another's order.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select, text

from shared_tests.backends import fresh_handle
from shared_tests.templates import Templates
from todo_contract.clock import utc_now
from todo_contract.migrate import current_revision, head_revision
from todo_contract.table import todos


def rows(database_url: str) -> int:
    with fresh_handle(database_url) as database, database.engine.connect() as connection:
        return len(connection.execute(select(todos.c.id)).all())


def test_two_copies_of_the_template_share_nothing(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        templates.copy(backend, tmp_path / "a") as first,
        templates.copy(backend, tmp_path / "b") as second,
    ):
        now = utc_now()
        with fresh_handle(first) as database, database.writes.begin() as connection:
            row = {"title": "only in the first", "created_at": now, "updated_at": now}
            connection.execute(insert(todos), [row])
        assert rows(first) == 1
        assert rows(second) == 0
        assert rows(templates.template(backend)) == 0


def test_a_copy_is_at_the_head_revision_and_numbers_its_rows_from_one(
    backend: str, database_url: str
) -> None:
    with fresh_handle(database_url) as database:
        with database.engine.connect() as connection:
            assert current_revision(connection) == head_revision()
        with database.writes.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO todos (title, completed, priority, created_at, updated_at)"
                    " VALUES ('first', false, 0, :now, :now)"
                ),
                {"now": utc_now()},
            )
        with database.engine.connect() as connection:
            assert connection.execute(select(todos.c.id)).scalars().all() == [1]
