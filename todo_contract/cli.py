"""The command line behind ``python -m orm_app`` and ``python -m core_app``.

The app and the server stack (FastAPI, the routes, uvicorn) are imported only once the flags,
the port and the database have been checked: a start that fails says why within about half a
second instead of first importing everything it will not serve.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from todo_contract.settings import Settings
from todo_contract.startup import StartupError, bind_socket, check_database, parse_url

if TYPE_CHECKING:
    from fastapi import FastAPI

AppFactory = Callable[..., "FastAPI"]
logger = logging.getLogger("todo_contract")
WORKER_ENV = "TODO_WORKER_SPEC"
"""How the command line tells its worker processes which app to build (JSON, see
``worker_app``): they are spawned fresh, so they get it from the environment."""


def parser(prog: str, settings: Settings, *, with_async: bool = False) -> argparse.ArgumentParser:
    """The app's flags; defaults come from ``TODO_*`` environment variables."""
    cli = argparse.ArgumentParser(prog=prog, description="Serve the todo API with uvicorn.")
    if with_async:
        cli.add_argument(
            "--async",
            dest="use_async",
            action="store_true",
            help="serve the asyncio flavour (async endpoints; aiosqlite, asyncpg or aiomysql "
            "chosen from --database-url)",
        )
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
    cli.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="worker processes serving the one socket (uvicorn's workers; default: %(default)s)",
    )
    return cli


def positive(text: str) -> int:
    """An integer of at least 1 (argparse reports anything else as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def configure_logging(level: str) -> None:
    """The app's log format at ``level``; Alembic's narration only at debug."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level != "debug":
        # Alembic narrates every migration context at INFO; the app logs what it upgraded.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def factory_path(create_app: AppFactory | str) -> str:
    """``create_app`` as an import string a worker process can load (a string already is).

    A module run with ``python -m`` (the floor) is ``__main__`` here; its real name is in
    its ``__spec__``.
    """
    if isinstance(create_app, str):
        return create_app
    module = create_app.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise StartupError("--workers needs the app started with python -m")
        module = spec.name
    return f"{module}:{create_app.__qualname__}"


def worker_app() -> FastAPI:
    """The app one worker process serves (``--workers`` > 1), built from ``WORKER_ENV``.

    The parent has bound the socket and prepared the database, as without workers, so
    start-up errors are still its one line; each worker only builds the app (no migration)
    and logs as the parent does.
    """
    from uvicorn.importer import import_from_string

    spec = json.loads(os.environ[WORKER_ENV])
    configure_logging(spec["log_level"])
    create_app: AppFactory = import_from_string(spec["factory"])
    return create_app(spec["database_url"], migrate=False, settings=Settings())


def run(
    create_app: AppFactory | str,
    prog: str,
    argv: Sequence[str] | None = None,
    *,
    async_app: str | None = None,
) -> int:
    """Parse the flags, check what serving needs, build the app and serve it until interrupted.

    ``create_app`` is the app's factory or its import string (``module:function``, imported
    after the checks); ``async_app``, the import string of the asyncio flavour's, adds
    ``--async``, which serves it instead.

    The port is bound and the database prepared (``todo_contract.startup``) before uvicorn
    starts, so a failure is one line naming the cause and the fix, and exit status 1.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        return refuse(settings_problem(exc))
    args = parser(prog, settings, with_async=async_app is not None).parse_args(argv)
    configure_logging(args.log_level)
    if async_app is not None and args.use_async:
        create_app = async_app
    try:
        parse_url(args.database_url)  # a URL that cannot work is named before anything binds
        factory = factory_path(create_app) if args.workers > 1 else ""
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
    import uvicorn
    from uvicorn.importer import import_from_string

    from todo_contract.server import http_protocol

    factory_function: AppFactory = (
        import_from_string(create_app) if isinstance(create_app, str) else create_app
    )
    options: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        # The app logs each request itself, with its request id (todo_contract.request_log).
        "access_log": False,
        "loop": "auto",  # uvloop when installed
        "http": http_protocol(),  # httptools when installed, with the head deadline
    }
    if args.workers > 1:
        return serve_workers(sock, args, factory, options)
    # The schema was just upgraded (or checked): the app's lifespan only checks it again.
    app = factory_function(args.database_url, migrate=False, settings=settings)
    config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
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


def serve_workers(
    sock: socket.socket, args: argparse.Namespace, factory: str, options: dict[str, object]
) -> int:
    """Serve the bound socket from ``args.workers`` processes (uvicorn's supervisor).

    Workers are spawned fresh, so they get the app as an import string: ``worker_app``,
    told which variant and database by ``WORKER_ENV``. The supervisor restarts a worker
    that dies, and stops them all on Ctrl-C or SIGTERM.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[WORKER_ENV] = json.dumps(
        {"factory": factory, "database_url": args.database_url, "log_level": args.log_level}
    )
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        workers=args.workers,
        **options,  # type: ignore[arg-type]
    )
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()
    return 0


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (database errors run on for many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def refuse(message: str) -> int:
    """Print why the app cannot start (the traceback only at ``--log-level debug``); exit 1."""
    logger.debug("start-up failed", exc_info=True)
    print(f"error: {message}", file=sys.stderr)
    return 1
