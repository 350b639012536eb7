# Every target that needs Python bootstraps .venv from requirements.lock first, so on a fresh
# machine `make bench` and `make test` are each one command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATABASE_URL ?=
ASYNC ?=

.DEFAULT_GOAL := help
.PHONY: help install bytecode system-tools lock lint typecheck test test-fast test-sqlite bench run-orm run-core clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP)  ## create .venv from requirements.lock (fast when nothing changed)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; run make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

# The tests and the benchmark start hundreds of app processes; an editable install leaves the
# project's own modules uncompiled, and with PYTHONDONTWRITEBYTECODE set (or a read-only
# checkout) every one of those processes compiled them again: about 80 ms a start.
PACKAGES := todo_contract orm_app core_app benchmarks

bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q $(PACKAGES)

# valgrind counts instructions (make bench); wrk loads the servers over the wire (make bench;
# without it the built-in generator does); Chromium renders report.html in the tests.
SYSTEM_TOOLS := valgrind wrk chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

system-tools:  ## install valgrind, wrk and Chromium with apt-get when they are missing
	@missing=""; for tool in $(SYSTEM_TOOLS); do \
		command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get install -y -q $$missing >/dev/null \
		|| { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q $$missing >/dev/null; }; \
	fi

lock:  ## re-pin requirements.lock from pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev --extra postgresql --extra mariadb --extra bench \
		--generate-hashes --python-version 3.11 --universal --index-url https://pypi.org/simple \
		-o requirements.lock

lint: $(STAMP)  ## ruff and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint system-tools bytecode  ## lint, type-check, then every test on every variant and backend (CI)
	$(BIN)/python -m pytest -n 2 --dist worksteal --cov --cov-report=term --cov-fail-under=95 --durations=15

test-fast: bytecode  ## every test not marked slow, on every variant and backend (≤ 3 min)
	$(BIN)/python -m pytest -n 2 --dist worksteal -m "not slow"

test-sqlite: bytecode  ## the contract suite on SQLite only (no servers needed)
	$(BIN)/python -m pytest --backend sqlite

bench: system-tools bytecode  ## the benchmark report on embedded SQLite
	$(BIN)/python -m benchmarks

run-orm: $(STAMP)  ## serve orm_app on http://127.0.0.1:8000 (DATABASE_URL=... for the database, ASYNC=1 for asyncio)
	$(BIN)/python -m orm_app $(if $(ASYNC),--async) $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

run-core: $(STAMP)  ## serve core_app on http://127.0.0.1:8000 (DATABASE_URL=... for the database, ASYNC=1 for asyncio)
	$(BIN)/python -m core_app $(if $(ASYNC),--async) $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

clean:  ## remove .venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.*
