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

from todo_contract.app import writes
from todo_contract.database import Database


def open_connection(database: Database, *, write: bool) -> Connection:
    """The Connection one unit of work gets: from the write view when it will write.

    The request dependency below and the benchmark's ``core`` rung both open their
    Connections here.
    """
    return database.engine_for(write=write).connect()


open_unit = open_connection
"""The name the variant registry gives this function (``todo_contract.variants``)."""


def get_connection(request: Request) -> Iterator[Connection]:
    """Yield the request's Connection, then close it."""
    connection = open_connection(request.app.state.database, write=writes(request))
    try:
        yield connection
    finally:
        connection.close()


ConnDep = Annotated[Connection, Depends(get_connection)]
