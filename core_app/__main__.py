"""``python -m core_app``: serve the Core app with uvicorn (``--async``: its asyncio flavour)."""

from core_app.main import create_app
from todo_contract.cli import run

if __name__ == "__main__":
    raise SystemExit(
        run(create_app, prog="python -m core_app", async_app="core_app.aio.main:create_app")
    )
