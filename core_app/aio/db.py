"""One ``AsyncConnection`` per request, closed whatever happens.

The same lesson as ``core_app.db``, on asyncio: without ``yield``/``finally`` the connection
is never returned, and after pool_size + max_overflow requests every new one waits for the
pool's timeout. Closing (awaited) returns it to the pool, rolling back anything uncommitted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from todo_contract.app import writes
from todo_contract.async_database import AsyncDatabase


async def open_connection(database: AsyncDatabase, *, write: bool) -> AsyncConnection:
    """The AsyncConnection one unit of work gets: from the write view when it will write.

    The request dependency below and the benchmark's ``core-async`` rung both open their
    connections here.
    """
    return await database.engine_for(write=write).connect()


open_unit = open_connection
"""The name the variant registry gives this function (``todo_contract.variants``)."""


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """Yield the request's AsyncConnection, then close it (a writer on SQLite first waits for
    its turn: ``AsyncDatabase.turn``)."""
    database: AsyncDatabase = request.app.state.database
    write = writes(request)
    async with database.turn(write=write):
        connection = await open_connection(database, write=write)
        try:
            yield connection
        finally:
            await connection.close()


ConnDep = Annotated[AsyncConnection, Depends(get_connection)]
