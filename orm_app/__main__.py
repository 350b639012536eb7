"""``python -m orm_app``: serve the ORM app with uvicorn (``--async``: its asyncio flavour)."""

from orm_app.main import create_app
from todo_contract.cli import run

if __name__ == "__main__":
    raise SystemExit(
        run(create_app, prog="python -m orm_app", async_app="orm_app.aio.main:create_app")
    )
