"""One ``AsyncSession`` per request, closed whatever happens.

The teaching app's third lesson holds on asyncio too: a dependency that returns a session
without ``yield``/``finally`` never gives its connection back, and after pool_size +
max_overflow requests every new one waits for the pool's timeout. Here the session is closed
in ``finally``, awaited, after the response or an exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from todo_contract.app import writes
from todo_contract.async_database import AsyncDatabase


def open_session(database: AsyncDatabase, *, write: bool) -> AsyncSession:
    """The AsyncSession one unit of work gets: on the write view when it will write.

    ``expire_on_commit=False`` matters more here than in the sync app: an expired attribute
    would be reloaded by an implicit query, which an AsyncSession cannot run (it raises
    ``MissingGreenlet``). The request dependency below and the benchmark's ``orm-async`` rung
    both open their sessions here.
    """
    return AsyncSession(database.engine_for(write=write), expire_on_commit=False)


open_unit = open_session
"""The name the variant registry gives this function (``todo_contract.variants``)."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's AsyncSession, then close it (a writer on SQLite first waits for
    its turn: ``AsyncDatabase.turn``)."""
    database: AsyncDatabase = request.app.state.database
    write = writes(request)
    async with database.turn(write=write):
        session = open_session(database, write=write)
        try:
            yield session
        finally:
            await session.close()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
