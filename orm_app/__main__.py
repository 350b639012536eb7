"""``python -m orm_app``: serve the ORM app with uvicorn (``--async``: its asyncio flavour).

The app is named by import string, so that it is imported only once the command line has
checked the flags, the port and the database (``todo_contract.cli``)."""

from todo_contract.cli import run

if __name__ == "__main__":
    raise SystemExit(
        run(
            "orm_app.main:create_app",
            prog="python -m orm_app",
            async_app="orm_app.aio.main:create_app",
        )
    )
