"""The asyncio flavour of the Core app: ``AsyncConnection``, ``async def`` endpoints, the same
API.

Served by ``python -m core_app --async``. It sends the very statements of ``core_app.queries``;
everything that talks to the database is awaited.
"""

from core_app.aio.main import create_app

__all__ = ["create_app"]
