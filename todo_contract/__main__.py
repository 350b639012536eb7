"""``python -m todo_contract upgrade --database-url URL``: migrate a database without serving it."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from todo_contract.database import open_database, redact
from todo_contract.migrate import SchemaError, upgrade
from todo_contract.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Upgrade the database to the latest revision (adopting a tutorial-made SQLite file)."""
    settings = Settings()
    cli = argparse.ArgumentParser(prog="python -m todo_contract")
    commands = cli.add_subparsers(dest="command", required=True)
    upgrade_cli = commands.add_parser("upgrade", help="bring the schema to the latest revision")
    upgrade_cli.add_argument("--database-url", default=settings.database_url)
    args = cli.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    database = open_database(args.database_url, settings)
    try:
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
