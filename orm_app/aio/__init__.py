"""The asyncio flavour of the ORM app: ``AsyncSession``, ``async def`` endpoints, the same API.

Served by ``python -m orm_app --async``. It reuses ``orm_app.models`` (the mapping) and the
sync repository's loading option and tag INSERT; everything that talks to the database is
awaited.
"""

from orm_app.aio.main import create_app

__all__ = ["create_app"]
