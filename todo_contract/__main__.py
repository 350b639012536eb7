"""``python -m todo_contract upgrade|revision --database-url URL``: migrate a database without
serving it, or write the migration that a change to the table definitions needs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from todo_contract.database import open_database, redact
from todo_contract.migrate import SchemaError, upgrade, write_revision
from todo_contract.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Upgrade the database to the latest revision (adopting a tutorial-made SQLite file), and
    with ``revision`` then write a migration to the code's table definitions."""
    settings = Settings()
    cli = argparse.ArgumentParser(prog="python -m todo_contract")
    commands = cli.add_subparsers(dest="command", required=True)
    upgrade_cli = commands.add_parser("upgrade", help="bring the schema to the latest revision")
    upgrade_cli.add_argument("--database-url", default=settings.database_url)
    revision_cli = commands.add_parser(
        "revision", help="write a migration from the database's schema to the code's tables"
    )
    revision_cli.add_argument("--database-url", default=settings.database_url)
    revision_cli.add_argument("-m", "--message", required=True, help="what the change does")
    args = cli.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    database = open_database(args.database_url, settings)
    try:
        if args.command == "revision":
            upgrade(database)
            print(f"wrote {write_revision(database.engine, args.message)}")
            return 0
        upgrade(database)
    except SchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"{redact(args.database_url)} is at the latest revision")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
