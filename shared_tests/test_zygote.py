"""A server forked from the zygote is the process ``python -m <app>`` would have started
(``shared_tests.zygote``): the same output and exit status, the test's own child, with none
of the project's modules imported before it starts, measured by coverage when its
environment asks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import coverage
import httpx
import psutil  # type: ignore[import-untyped]  # no stubs in the lock (types-psutil)
import pytest

from shared_tests.helpers import without_timestamps
from shared_tests.live_server import TLS_CONTEXT, live_server
from shared_tests.zygote import COVERAGE_VARIABLES, PROJECT_ROOT, Zygote
from todo_contract.variants import variant

pytestmark = pytest.mark.slow

PROBE = """\
import importlib.util, json, sys
print(json.dumps({
    "modules": sorted(sys.modules),
    "traced": sys.gettrace() is not None,
    "shared_tests_importable": importlib.util.find_spec("shared_tests") is not None,
}))
"""
"""``python -m probe``: what a new server process has imported and can import as it starts."""


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    """A zygote of the test's own, ended after it."""
    own = Zygote()
    try:
        yield own
    finally:
        own.close()


def fork_to_exit(
    zygote: Zygote, command: Sequence[str], cwd: Path, name: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Fork ``command``, wait for its exit; its status and output."""
    log = cwd / f"{name}.log"
    forked = zygote.fork(
        command, cwd=cwd, env=dict(os.environ) if env is None else env, log_path=log
    )
    try:
        status = forked.wait(timeout=30)
    finally:
        forked.kill()
    return status, log.read_text()


def probe(zygote: Zygote, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    (cwd / "probe.py").write_text(PROBE)
    status, output = fork_to_exit(zygote, [sys.executable, "-m", "probe"], cwd, "probe", env)
    assert status == 0, output
    found: dict[str, Any] = json.loads(output)
    return found


def blanked(log: str) -> str:
    """``log`` without what differs between any two runs: times, pids, ports, durations,
    request ids."""
    log = without_timestamps(log)
    for pattern, placeholder in [
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


@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGINT, 0), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["ctrl-c-shuts-down-cleanly", "sigkill-is-minus-9"],
)
def test_a_forked_server_is_the_test_process_s_child_and_its_signals_are_its_exit_status(
    tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    args = ["--database-url", f"sqlite:///{tmp_path}/t.db"]
    with live_server("core", args, cwd=tmp_path) as server:
        process = server.process
        assert psutil.Process(process.pid).ppid() == os.getpid()
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)

        process.send_signal(sig)

        assert process.wait(timeout=15) == status
        assert process.poll() == status


def test_a_ctrl_c_sent_while_a_fork_starts_ends_it_as_it_ends_a_starting_process(
    zygote: Zygote, tmp_path: Path
) -> None:
    command = variant("core").command("--database-url", f"sqlite:///{tmp_path}/t.db")
    forked = zygote.fork(command, cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "f")
    forked.send_signal(signal.SIGINT)
    real = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.DEVNULL)
    real.send_signal(signal.SIGINT)
    try:
        assert forked.wait(timeout=15) == real.wait(timeout=15) == -signal.SIGINT
    finally:
        forked.kill()
        real.kill()


def test_a_refusal_from_a_fork_has_the_real_process_s_status_and_words(
    zygote: Zygote, tmp_path: Path
) -> None:
    command = variant("orm").command("--database-url", "oracle://scott@db/x")

    status, output = fork_to_exit(zygote, command, tmp_path, "refusal")
    real = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    assert status == real.returncode == 1
    assert output == real.stdout + real.stderr


def test_a_fork_starts_with_none_of_the_project_s_modules_as_a_new_process_does(
    zygote: Zygote, tmp_path: Path
) -> None:
    settings = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    measured = settings["tool"]["coverage"]["run"]["source"]

    forked = probe(zygote, tmp_path)
    real = subprocess.run(
        [sys.executable, "-m", "probe"], cwd=tmp_path, capture_output=True, text=True, check=True
    )

    project = {*measured, "shared_tests", "benchmarks"}
    assert "fastapi" in forked["modules"]  # preloaded
    assert not [name for name in forked["modules"] if name.split(".")[0] in project]
    assert forked["shared_tests_importable"] is json.loads(real.stdout)["shared_tests_importable"]


def test_a_fork_is_measured_exactly_when_its_environment_asks_for_coverage(
    zygote: Zygote, tmp_path: Path
) -> None:
    config = tmp_path / "coveragerc"
    data_file = tmp_path / ".measured"
    config.write_text(f"[run]\nsource = todo_contract\nparallel = true\ndata_file = {data_file}\n")
    plain = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
    measured = {**plain, "COVERAGE_PROCESS_START": str(config)}

    status, output = fork_to_exit(
        zygote, variant("core").command("--help"), tmp_path, "m", measured
    )
    assert status == 0, output
    assert probe(zygote, tmp_path, plain)["traced"] is False

    (written,) = tmp_path.glob(".measured.*")
    data = coverage.CoverageData(basename=str(written))
    data.read()
    assert any(path.endswith("todo_contract/cli.py") for path in data.measured_files())


def test_the_zygote_starts_again_after_it_died(zygote: Zygote, tmp_path: Path) -> None:
    command = variant("core").command("--help")
    assert fork_to_exit(zygote, command, tmp_path, "first")[0] == 0
    dead = zygote.pid
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    os.waitid(os.P_PID, dead, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped

    status, output = fork_to_exit(zygote, command, tmp_path, "second")

    assert status == 0
    assert "usage:" in output
    assert zygote.pid not in (None, dead)


def test_a_ctrl_c_leaves_the_zygote_running(zygote: Zygote, tmp_path: Path) -> None:
    command = variant("core").command("--help")
    assert fork_to_exit(zygote, command, tmp_path, "first")[0] == 0
    pid = zygote.pid
    assert pid is not None

    os.kill(pid, signal.SIGINT)

    assert fork_to_exit(zygote, command, tmp_path, "second")[0] == 0
    assert zygote.pid == pid


def test_a_variable_python_reads_only_as_it_starts_cannot_be_changed_for_a_fork(
    zygote: Zygote, tmp_path: Path
) -> None:
    seed = str(int(os.environ.get("PYTHONHASHSEED", "0") or "0") + 1)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    with pytest.raises(ValueError, match="PYTHONHASHSEED differ from the zygote's"):
        zygote.fork(
            variant("core").command("--help"), cwd=tmp_path, env=env, log_path=tmp_path / "x"
        )


def test_a_command_other_than_python_dash_m_is_refused(zygote: Zygote, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a python -m command"):
        zygote.fork(["python3", "-m", "orm_app"], cwd=tmp_path, env={}, log_path=tmp_path / "x")
