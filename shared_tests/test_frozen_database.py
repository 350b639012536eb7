"""A frozen database server is bounded: every request gets a 503 in time, nothing is lost.

A server that is stopped (``test_server_restarts.py``) refuses connections, and requests fail
at once. A server that is *frozen* — SIGSTOP here; a hung host or a network partition in
life — refuses nothing: its kernel accepts connections and acknowledges what the app sends,
and no answer ever comes. Without client-side timeouts every request in flight waits until
TCP gives up, which takes minutes to hours. The timeouts in ``todo_contract.settings`` bound
each wait (see ``todo_contract.database.driver_connect_args``); these tests set them small,
freeze a private server under concurrent reads and writes, and check the bound, the 503, the
recovery after SIGCONT, and that every acknowledged write — and only those — is stored.

The unit tests at the end check, cheaply, that the settings reach the drivers and that a bad
value is refused.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import event, make_url, text

from shared_tests.app_database import hold_connection
from shared_tests.conftest import AppFactory, assert_no_checked_out_connections
from shared_tests.helpers import create_todo
from shared_tests.private_servers import PrivateServer, database_with_login
from shared_tests.test_server_restarts import assert_short_and_clean
from todo_contract import cli
from todo_contract.async_database import asyncpg_connect_args, open_async_database
from todo_contract.database import driver_connect_args, open_database
from todo_contract.settings import Settings

SMALL = Settings(
    database_connect_timeout=2,  # libpq's minimum
    database_statement_timeout=1.0,
    database_read_timeout=2.0,
    database_write_timeout=2.0,
    database_keepalives_idle=1,
    database_keepalives_interval=1,
    database_keepalives_count=2,
)
"""Timeouts small enough for a test: a frozen server's requests end within seconds."""

BOUND_S = SMALL.database_read_timeout + SMALL.database_connect_timeout + SMALL.database_read_timeout
"""The worst a request meets on a frozen server: the pool's ping on a pooled connection times
out (read timeout), then the pool opens a new connection, whose TCP connect succeeds (the
kernel accepts it) and whose login or greeting goes unanswered (connect timeout on
PostgreSQL; on MariaDB the greeting is read under the read timeout). Taken as the sum of all
three to stay independent of which driver step ends it."""

MARGIN_S = 3.0
"""Scheduling slack on a shared 2-core machine; without the timeouts a request waits for
minutes, so this margin cannot hide a missing bound."""

POOLED = 3
"""Connections left idle in the pool before the freeze, so some requests meet the pool's ping
on a frozen server and others open new connections."""


def _request(client: TestClient, method: str, path: str, body: Any) -> tuple[int, Any, float]:
    started = time.monotonic()
    response = client.request(method, path, json=body)
    took = time.monotonic() - started
    payload = response.json() if response.content else None
    return response.status_code, payload, took


@pytest.mark.slow
def test_a_frozen_server_answers_every_request_with_a_503_in_time_and_loses_nothing(
    create_app: AppFactory,
    private_server: PrivateServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with database_with_login(private_server) as (url, password):
        app = create_app(url, settings=SMALL)
        with TestClient(app) as client:
            kept = create_todo(client, title="written before the freeze", priority=1)
            held = [hold_connection(client) for _ in range(POOLED)]
            for connection in held:
                connection.execute(text("SELECT 1"))
                connection.close()

            calls: list[tuple[str, str, Any]] = [
                ("POST", "/todos", {"title": f"sent while frozen {n}"}) for n in range(3)
            ]
            calls += [
                ("PATCH", f"/todos/{kept['id']}", {"title": "patched while frozen"}),
                ("GET", "/todos?limit=1000", None),
                ("GET", f"/todos/{kept['id']}", None),
                ("GET", "/todos/count", None),
                ("GET", "/health", None),
            ]
            with (
                caplog.at_level(logging.ERROR, logger="todo_contract"),
                ThreadPoolExecutor(len(calls)) as pool,
            ):
                with private_server.frozen():
                    futures = [pool.submit(_request, client, *call) for call in calls]
                    # Thawed only once every request has answered, or after the bound has
                    # clearly passed: a missing bound shows as a late answer, not a hang.
                    deadline = time.monotonic() + BOUND_S + MARGIN_S
                    while time.monotonic() < deadline and not all(f.done() for f in futures):
                        time.sleep(0.05)
                    answered_while_frozen = [f.done() for f in futures]
                results = [future.result() for future in futures]

            for (method, path, _body), done, (status, payload, took) in zip(
                calls, answered_while_frozen, results, strict=True
            ):
                assert done, f"{method} {path} was still waiting when the server was thawed"
                assert status == 503, (method, path, status, payload)
                assert took < BOUND_S + MARGIN_S, f"{method} {path} took {took:.1f}s"
                assert_short_and_clean(payload["detail"], password)
                if path != "/health":
                    assert payload == {"detail": "Database unavailable"}, payload
            logged = [record.getMessage() for record in caplog.records]
            assert len([line for line in logged if line.startswith("503 ")]) >= len(calls)
            assert not any(password in line for line in logged)

            # The app recovers by itself: no restart, no manual step.
            recovered = time.monotonic() + 10.0
            while client.get("/health").status_code != 200:
                assert time.monotonic() < recovered, "the app did not recover after the thaw"
                time.sleep(0.1)
            stored = client.get("/todos", params={"limit": 1000}).json()
            assert stored == [kept], "a write refused with a 503 was stored"
            after = create_todo(client, title="written after the thaw")
            assert client.get("/todos/count").json()["total"] == 2
            assert client.get(f"/todos/{after['id']}").json() == after
            assert_no_checked_out_connections(app)


@pytest.mark.slow
def test_requests_in_flight_when_the_server_freezes_are_answered_and_acknowledged_writes_kept(
    create_app: AppFactory, private_server: PrivateServer
) -> None:
    """The server freezes under a stream of writes: each one is a 201 or a 503 in time, and
    every 201 is stored. A write whose COMMIT reached the frozen server just before the
    freeze may be applied once the server resumes although the app answered 503 (its outcome
    is unknown, as with any connection lost during a commit), so only the ids the app
    acknowledged are checked here; ``test_a_frozen_server_…`` checks that writes refused
    before reaching the server are not stored."""
    with database_with_login(private_server) as (url, _password):
        app = create_app(url, settings=SMALL)
        with TestClient(app) as client:

            def write_until(stop: threading.Event, writer: int) -> list[tuple[int, Any, float]]:
                answers = []
                n = 0
                while not stop.is_set():
                    n += 1
                    answer = _request(client, "POST", "/todos", {"title": f"w{writer}-{n}"})
                    answers.append(answer)
                return answers

            # The writers stop when told, once the server has been frozen for a while, not at
            # a fixed time: on a loaded machine the freeze once came after they had stopped,
            # and no write met it.
            writers = 4
            stop = threading.Event()
            with ThreadPoolExecutor(writers) as pool:
                futures = [pool.submit(write_until, stop, w) for w in range(writers)]
                time.sleep(0.5)  # writes are flowing
                with private_server.frozen():
                    time.sleep(0.5)  # every writer is now waiting on the frozen server
                    stop.set()
                    deadline = time.monotonic() + BOUND_S + MARGIN_S + 1.0
                    while time.monotonic() < deadline and not all(f.done() for f in futures):
                        time.sleep(0.05)
                    answered_while_frozen = all(f.done() for f in futures)
                answers = [answer for future in futures for answer in future.result()]

            assert answered_while_frozen, "a write was still waiting when the server was thawed"
            statuses = {status for status, _payload, _took in answers}
            assert statuses <= {201, 503}, statuses
            assert 503 in statuses, "no write met the frozen server"
            assert max(took for _status, _payload, took in answers) < BOUND_S + MARGIN_S
            acknowledged = {payload["id"] for status, payload, _took in answers if status == 201}

            recovered = time.monotonic() + 10.0
            while client.get("/health").status_code != 200:
                assert time.monotonic() < recovered, "the app did not recover after the thaw"
                time.sleep(0.1)
            stored = {todo["id"] for todo in client.get("/todos?limit=1000").json()}
            assert acknowledged <= stored, f"acknowledged but lost: {acknowledged - stored}"
            assert_no_checked_out_connections(app)


# --- The settings reach the drivers (cheap: the shared servers, no freezing) ---------------


@pytest.mark.backends("postgresql", "mariadb")
def test_the_timeout_settings_reach_the_drivers_connection(backend: str, database_url: str) -> None:
    database = open_database(database_url, SMALL)
    try:
        with database.engine.connect() as connection:
            driver = connection.connection.driver_connection
            if backend == "postgresql":
                shown = connection.execute(text("SHOW statement_timeout")).scalar_one()
                assert shown == "1s"
                params = driver.info.get_parameters()  # type: ignore[union-attr]
                assert params["connect_timeout"] == "2"
                assert params["keepalives"] == "1"
                assert params["keepalives_idle"] == "1"
                assert params["keepalives_interval"] == "1"
                assert params["keepalives_count"] == "2"
                assert params["tcp_user_timeout"] == "2000"
                assert driver.read_timeout == 2.0  # type: ignore[union-attr]
            else:
                assert driver.connect_timeout == 2  # type: ignore[union-attr]
                assert driver._read_timeout == 2.0  # type: ignore[union-attr]
                assert driver._write_timeout == 2.0  # type: ignore[union-attr]
    finally:
        database.dispose()


@pytest.mark.backends("postgresql")
def test_options_in_the_database_url_are_kept_beside_the_statement_timeout(
    database_url: str,
) -> None:
    url = make_url(database_url).update_query_dict({"options": "-c search_path=elsewhere"})
    database = open_database(url.render_as_string(hide_password=False), SMALL)
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("SHOW search_path")).scalar_one() == "elsewhere"
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "1s"
    finally:
        database.dispose()


@pytest.mark.backends("postgresql", "mariadb")
def test_the_timeout_settings_reach_the_async_drivers_connection(
    backend: str, database_url: str
) -> None:
    """asyncpg: the connect timeout, ``command_timeout`` as the read timeout, the statement
    timeout as a server setting; aiomysql: the connect timeout, and a read timeout of the
    app's own (``todo_contract.async_database``)."""

    async def check() -> None:
        database = open_async_database(database_url, SMALL)
        try:
            async with database.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                if backend == "postgresql":
                    shown = (await connection.execute(text("SHOW statement_timeout"))).scalar()
                    assert shown == "1s"
                    assert driver._config.command_timeout == 2.0
                    _, arguments = asyncpg_connect_args(make_url(database_url), SMALL)
                    assert arguments["timeout"] == 2  # connecting: not kept on the connection
                else:
                    assert driver.connect_timeout == 2
                    assert type(driver).__name__ == "BoundedAiomysql"
                    assert (await connection.execute(text("SELECT 1"))).scalar() == 1
        finally:
            await database.dispose()

    asyncio.run(check())


@pytest.mark.backends("mariadb")
def test_aiomysql_leaves_warnings_unfetched_as_pymysql_does(database_url: str) -> None:
    """An ``INSERT IGNORE`` of a tag that exists leaves a warning; aiomysql's own cursors
    would send ``SHOW WARNINGS`` for it and raise it as a Python warning (an error under this
    suite's filters), the app's cursors send nothing more."""

    async def insert_twice() -> list[str]:
        database = open_async_database(database_url, SMALL)
        sent: list[str] = []
        event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda *args: sent.append(args[2]),
        )
        try:
            async with database.engine.begin() as connection:
                for _ in range(2):
                    await connection.execute(text("INSERT IGNORE INTO tags (name) VALUES ('x')"))
                return sent
        finally:
            await database.dispose()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(asyncio.run(insert_twice())) == 2


@pytest.mark.backends("postgresql")
def test_libpq_parameters_in_the_url_mean_the_same_to_asyncpg(database_url: str) -> None:
    """``options`` and ``application_name``, which asyncpg takes as server settings: a URL
    written for the sync app serves the async one unchanged."""
    url = make_url(database_url).update_query_dict(
        {"options": "-c search_path=elsewhere -c work_mem=8MB", "application_name": "todo-x"}
    )

    async def shown() -> list[str]:
        database = open_async_database(url.render_as_string(hide_password=False), SMALL)
        try:
            async with database.engine.connect() as connection:
                names = ("search_path", "work_mem", "application_name", "statement_timeout")
                return [
                    (await connection.execute(text(f"SHOW {name}"))).scalar_one() for name in names
                ]
        finally:
            await database.dispose()

    assert asyncio.run(shown()) == ["elsewhere", "8MB", "todo-x", "1s"]


def test_the_defaults_bound_a_frozen_server_within_seconds_and_spare_a_healthy_one() -> None:
    """Defaults: a statement may run 10 s on a healthy server (the heaviest request, 1,000
    rows, takes milliseconds) and the server's cancel comes before the client's 15 s."""
    defaults = Settings()
    assert driver_connect_args("postgresql", defaults) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=10000",
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 15000,
    }
    assert driver_connect_args("mysql", defaults) == {
        "connect_timeout": 5,
        "read_timeout": 15.0,
        "write_timeout": 15.0,
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TODO_DATABASE_CONNECT_TIMEOUT", "1"),  # below libpq's minimum of 2 s
        ("TODO_DATABASE_CONNECT_TIMEOUT", "2.5"),  # libpq counts whole seconds
        ("TODO_DATABASE_STATEMENT_TIMEOUT", "0"),
        ("TODO_DATABASE_READ_TIMEOUT", "-1"),
        ("TODO_DATABASE_READ_TIMEOUT", "5"),  # not longer than the statement timeout (10)
        ("TODO_DATABASE_WRITE_TIMEOUT", "soon"),
        ("TODO_DATABASE_KEEPALIVES_IDLE", "0"),
        ("TODO_DATABASE_KEEPALIVES_INTERVAL", "0"),
        ("TODO_DATABASE_KEEPALIVES_COUNT", "0"),
    ],
)
def test_a_bad_timeout_setting_is_refused(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_timeout_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_DATABASE_STATEMENT_TIMEOUT", "30")
    monkeypatch.setenv("TODO_DATABASE_READ_TIMEOUT", "45")
    settings = Settings()
    assert driver_connect_args("postgresql", settings)["options"] == "-c statement_timeout=30000"
    assert driver_connect_args("mariadb", settings)["read_timeout"] == 45.0


def test_a_bad_timeout_setting_refuses_the_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODO_DATABASE_READ_TIMEOUT", "5")

    def never_built(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the app was built despite a refused setting")

    assert cli.run(never_built, "core_app", ["--port", "1"]) == 1
    assert capsys.readouterr().err == (
        "error: bad setting: TODO_DATABASE_READ_TIMEOUT (5 s) must be longer than "
        "TODO_DATABASE_STATEMENT_TIMEOUT (10 s), so that a slow statement on a healthy server "
        "is cancelled by the server first\n"
    )
