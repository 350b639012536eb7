"""A server forked from the zygote is the process ``python -m <app>`` would have started
(``shared_tests.zygote``): the same output and exit status, the test's own child, measured by
coverage when its environment asks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tomllib
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)
import pytest

from shared_tests.live_server import (
    TLS_CONTEXT,
    LiveServer,
    free_port,
    live_server,
    wait_until_serving,
)
from shared_tests.zygote import COVERAGE_VARIABLES, PRELOADED, PROJECT_ROOT, Zygote
from todo_contract.variants import variant

pytestmark = pytest.mark.slow


def blanked(log: str) -> str:
    """``log`` without what differs between any two runs: times, pids, ports, durations,
    request ids."""
    for pattern, placeholder in [
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", "<time>"),
        (r"process \[\d+\]", "process [<pid>]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"duration_ms=[\d.]+", "duration_ms=<ms>"),
        (r"request_id=[0-9a-f]+", "request_id=<id>"),
    ]:
        log = re.sub(pattern, placeholder, log)
    return log


def serve_and_stop(app_kind: str, database_url: str, cwd: Path, *, forked: bool) -> str:
    """Serve, send a create and a read, stop with SIGINT; the server's log, blanked."""
    args = ["--database-url", database_url, "--log-level", "info"]
    with (
        live_server(app_kind, args, cwd=cwd, forked=forked) as server,
        httpx.Client(base_url=server.base_url, verify=TLS_CONTEXT) as http,
    ):
        assert http.post("/todos", json={"title": "forked?"}).status_code == 201
        assert http.get("/todos").status_code == 200
    assert server.process.returncode == 0, server.log()
    return blanked(server.log())


def test_a_forked_server_logs_and_exits_as_the_real_process_does(
    app_kind: str, tmp_path: Path
) -> None:
    forked_dir, real_dir = tmp_path / "forked", tmp_path / "real"
    forked_dir.mkdir()
    real_dir.mkdir()

    forked = serve_and_stop(app_kind, f"sqlite:///{forked_dir}/t.db", forked_dir, forked=True)
    real = serve_and_stop(app_kind, f"sqlite:///{real_dir}/t.db", real_dir, forked=False)

    assert "Application startup complete" in forked
    assert forked.replace(str(forked_dir), "<dir>") == real.replace(str(real_dir), "<dir>")


def test_a_forked_server_is_the_test_process_s_child_and_its_signals_are_its_exit_status(
    tmp_path: Path,
) -> None:
    zygote = Zygote()
    try:
        statuses = []
        for sig in (signal.SIGINT, signal.SIGKILL):
            port = free_port()
            log = tmp_path / f"{sig.name}.log"
            database_url = f"sqlite:///{tmp_path}/{sig.name}.db"
            server = zygote.fork(
                variant("core").command("--port", str(port), "--database-url", database_url),
                cwd=tmp_path,
                env=dict(os.environ),
                log_path=log,
            )
            parent = psutil.Process(server.pid).ppid()
            if parent != os.getpid():
                os.kill(server.pid, signal.SIGKILL)  # not ours to wait for: leave no server
            assert parent == os.getpid()
            wait_until_serving(LiveServer(f"http://127.0.0.1:{port}", server, log))
            with pytest.raises(subprocess.TimeoutExpired):
                server.wait(timeout=0.1)
            server.send_signal(sig)
            statuses.append(server.wait(timeout=15))
            assert server.poll() == statuses[-1]
    finally:
        zygote.close()

    # a clean shutdown on Ctrl-C once serving; the signal's number, negated, as Popen reports
    assert statuses == [0, -signal.SIGKILL]


def test_a_refusal_from_a_fork_has_the_real_process_s_status_and_words(tmp_path: Path) -> None:
    command = variant("orm").command("--database-url", "oracle://scott@db/x")
    zygote = Zygote()
    try:
        log = tmp_path / "refusal.log"
        forked = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=log)
        forked_status = forked.wait(timeout=30)
    finally:
        zygote.close()
    real = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    assert forked_status == real.returncode == 1
    assert log.read_text() == real.stdout + real.stderr


def test_a_fork_whose_environment_asks_for_coverage_writes_coverage_data(tmp_path: Path) -> None:
    config = tmp_path / "coveragerc"
    config.write_text(
        f"[run]\nsource = todo_contract\nparallel = true\ndata_file = {tmp_path}/.measured\n"
    )
    plain = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
    command = variant("core").command("--help")
    zygote = Zygote()
    try:
        for name, env in [
            ("plain", plain),
            ("measured", {**plain, "COVERAGE_PROCESS_START": str(config)}),
        ]:
            forked = zygote.fork(command, cwd=tmp_path, env=env, log_path=tmp_path / name)
            assert forked.wait(timeout=30) == 0, (tmp_path / name).read_text()
    finally:
        zygote.close()

    data_files = list(tmp_path.glob(".measured.*"))
    assert len(data_files) == 1, data_files  # the measured run's, none from the plain one


def test_the_zygote_starts_again_after_it_died(tmp_path: Path) -> None:
    zygote = Zygote()
    command = variant("core").command("--help")
    try:
        first = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "1")
        assert first.wait(timeout=30) == 0
        assert zygote.pid is not None
        os.kill(zygote.pid, signal.SIGKILL)
        second = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "2")
        assert second.wait(timeout=30) == 0
    finally:
        zygote.close()
    assert "usage:" in (tmp_path / "2").read_text()


def test_a_ctrl_c_leaves_the_zygote_running(tmp_path: Path) -> None:
    zygote = Zygote()
    command = variant("core").command("--help")
    try:
        first = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "1")
        assert first.wait(timeout=30) == 0
        pid = zygote.pid
        assert pid is not None
        os.kill(pid, signal.SIGINT)
        second = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "2")
        assert second.wait(timeout=30) == 0
        assert zygote.pid == pid
    finally:
        zygote.close()


def test_a_command_other_than_python_dash_m_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a python -m command"):
        Zygote().fork(["python3", "-m", "orm_app"], cwd=tmp_path, env={}, log_path=tmp_path / "x")


def test_the_zygote_preloads_none_of_the_measured_packages() -> None:
    """A measured server imports the project's modules itself, under coverage."""
    settings = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    measured = settings["tool"]["coverage"]["run"]["source"]
    assert measured
    assert not [name for name in PRELOADED if name.split(".")[0] in measured]
