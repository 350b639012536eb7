"""One ORM Session per request, closed whatever happens.

This is the teaching app's third lesson: a ``get_db`` that returns a Session without
``yield``/``finally`` never closes it, each request keeps a pooled connection checked out, and
after pool_size + max_overflow requests the app hangs waiting for a connection. Here the
Session is closed in ``finally`` — after the response, after an exception, always — and
closing returns its connection to the pool (rolling back anything uncommitted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from todo_contract.app import writes
from todo_contract.database import Database


def open_session(database: Database, *, write: bool) -> Session:
    """The Session one unit of work gets: on the write view when it will write.

    ``expire_on_commit=False`` keeps the loaded attributes after ``commit()``, so returning
    the todo does not cost another SELECT to refresh it. The request dependency below and the
    benchmark's ``orm`` rung both open their Sessions here.
    """
    return Session(database.engine_for(write=write), expire_on_commit=False)


open_unit = open_session
"""The name the variant registry gives this function (``todo_contract.variants``)."""


def get_session(request: Request) -> Iterator[Session]:
    """Yield the request's Session, then close it."""
    session = open_session(request.app.state.database, write=writes(request))
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
