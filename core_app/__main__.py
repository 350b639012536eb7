"""``python -m core_app``: serve the Core app with uvicorn (``--async``: its asyncio flavour).

The app is named by import string, so that it is imported only once the command line has
checked the flags, the port and the database (``todo_contract.cli``)."""

from todo_contract.cli import run

if __name__ == "__main__":
    raise SystemExit(
        run(
            "core_app.main:create_app",
            prog="python -m core_app",
            async_app="core_app.aio.main:create_app",
        )
    )
