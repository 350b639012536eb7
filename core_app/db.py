"""One Core Connection per request, closed whatever happens.

The same lesson as ``orm_app.db``: without ``yield``/``finally`` the connection is never
returned, and after pool_size + max_overflow requests the app hangs waiting for one. Closing
returns it to the pool, rolling back anything uncommitted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from todo_contract.app import engine_for


def get_connection(request: Request) -> Iterator[Connection]:
    """Yield a Connection from the app's engine (its write view for writes), then close it."""
    connection = engine_for(request).connect()
    try:
        yield connection
    finally:
        connection.close()


ConnDep = Annotated[Connection, Depends(get_connection)]
