"""``python -m shared_tests.second_core_app``: serve the throwaway variant."""

from shared_tests.second_core_app.main import create_app
from todo_contract.cli import run

if __name__ == "__main__":
    raise SystemExit(run(create_app, prog="python -m shared_tests.second_core_app"))
