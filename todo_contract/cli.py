"""The command line behind ``python -m orm_app`` and ``python -m core_app``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from todo_contract.server import head_deadline_protocol
from todo_contract.settings import Settings
from todo_contract.startup import StartupError, bind_socket, check_database, parse_url

AppFactory = Callable[..., FastAPI]
logger = logging.getLogger("todo_contract")


def parser(prog: str, settings: Settings) -> argparse.ArgumentParser:
    """The app's flags; defaults come from ``TODO_*`` environment variables."""
    cli = argparse.ArgumentParser(prog=prog, description="Serve the todo API with uvicorn.")
    cli.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    cli.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    cli.add_argument(
        "--database-url",
        default=settings.database_url,
        help="sqlite:///path, postgresql+psycopg://… or mysql+pymysql://… "
        "(default: $TODO_DATABASE_URL, else %(default)s)",
    )
    cli.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not upgrade the schema on start; refuse to serve a database that is behind",
    )
    cli.add_argument(
        "--log-level",
        default=settings.log_level,
        choices=["critical", "error", "warning", "info", "debug"],
        help="(default: $TODO_LOG_LEVEL, else %(default)s)",
    )
    return cli


def run(create_app: AppFactory, prog: str, argv: Sequence[str] | None = None) -> int:
    """Parse the flags, check what serving needs, build the app and serve it until interrupted.

    The port is bound and the database prepared (``todo_contract.startup``) before uvicorn
    starts, so a failure is one line naming the cause and the fix, and exit status 1.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        return refuse(settings_problem(exc))
    args = parser(prog, settings).parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.log_level != "debug":
        # Alembic narrates every migration context at INFO; the app logs what it upgraded.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        parse_url(args.database_url)  # a URL that cannot work is named before anything binds
        sock = bind_socket(args.host, args.port)
        try:
            check_database(args.database_url, migrate=not args.no_migrate, settings=settings)
        except BaseException:
            sock.close()
            raise
    except StartupError as exc:
        return refuse(str(exc))
    except Exception as exc:  # anything unforeseen: still one line, the traceback on request
        return refuse(f"could not start: {type(exc).__name__}: {first_line(exc)}")
    # The schema was just upgraded (or checked): the app's lifespan only checks it again.
    app = create_app(args.database_url, migrate=False, settings=settings)
    # The app logs each request itself, with its request id (todo_contract.request_log).
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        http=head_deadline_protocol(settings.request_head_timeout),
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on Ctrl-C, then re-raises it: that is a normal exit.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0 if server.started else 1


def settings_problem(exc: ValidationError) -> str:
    """A refused ``TODO_*`` setting in one line: which variable, and why."""
    problems = []
    for error in exc.errors():
        reason = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            variable = f"TODO_{str(error['loc'][0]).upper()}"
            problems.append(f"{variable}={error['input']!r}: {reason}")
        else:
            problems.append(reason)
    return "bad setting: " + "; ".join(problems)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (database errors run on for many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def refuse(message: str) -> int:
    """Print why the app cannot start (the traceback only at ``--log-level debug``); exit 1."""
    logger.debug("start-up failed", exc_info=True)
    print(f"error: {message}", file=sys.stderr)
    return 1
