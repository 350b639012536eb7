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

from todo_contract.app import engine_for


def get_session(request: Request) -> Iterator[Session]:
    """Yield a Session bound to the app's engine (its write view for writes), then close it.

    ``expire_on_commit=False`` keeps the loaded attributes after ``commit()``, so returning
    the todo does not cost another SELECT to refresh it.
    """
    session = Session(engine_for(request), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
