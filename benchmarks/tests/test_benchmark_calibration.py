"""Over-the-wire intervals that hold: the round-level prediction interval, the check of two
runs against each other (``python -m benchmarks.calibration``) and the server CPU meter.

The statistics are checked on simulated runs whose rounds drift, where the answer is known;
the calibration command on purpose-built reports, one whose intervals hold and one whose do
not.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import calibration, server_cpu
from benchmarks.load import LoadStats
from benchmarks.results import SCHEMA_VERSION, Interval, LoadRun, Ratio, Report
from benchmarks.stats import (
    ROUND_METHOD,
    bootstrap_median_interval,
    make_round_ratio,
    prediction_factor,
    round_ratio_interval,
)
from benchmarks.wire import summarize

# --- the round-level interval ----------------------------------------------------------------


def test_one_round_gives_the_figure_and_no_interval() -> None:
    interval = round_ratio_interval([120.0], [100.0])

    assert (interval.low, interval.median, interval.high) == pytest.approx((1.2, 1.2, 1.2))


def test_the_interval_is_a_robust_t_prediction_interval_of_the_log_ratios() -> None:
    ratios = [1.1, 1.3, 1.2, 1.25, 1.15]
    logs = np.log(ratios)
    center = float(np.median(logs))
    sigma = 1.4826 * float(np.median(np.abs(logs - center)))
    half = prediction_factor(5) * sigma

    interval = round_ratio_interval([r * 100 for r in ratios], [100.0] * 5)

    assert interval.median == pytest.approx(1.2)
    assert interval.low == pytest.approx(math.exp(center - half))
    assert interval.high == pytest.approx(math.exp(center + half))


def test_one_starved_round_moves_neither_the_figure_nor_the_width_much() -> None:
    steady = round_ratio_interval([110.0, 130.0, 120.0, 125.0, 115.0], [100.0] * 5)
    starved = round_ratio_interval([110.0, 130.0, 120.0, 125.0, 1.0], [100.0] * 5)

    sd_based = math.exp(2 * 2.776 * float(np.std(np.log([1.1, 1.3, 1.2, 1.25, 0.01]), ddof=1)))
    assert starved.median == pytest.approx(steady.median, rel=0.05)
    assert starved.high / starved.low < 3 < 1000 < sd_based


def test_a_ratio_and_its_inverse_get_mirrored_intervals() -> None:
    up, down = [130.0, 110.0, 125.0, 140.0], [100.0, 100.0, 100.0, 100.0]

    forward, backward = round_ratio_interval(up, down), round_ratio_interval(down, up)

    assert forward.median * backward.median == pytest.approx(1.0)
    assert forward.low * backward.high == pytest.approx(1.0)


def test_a_round_ratio_says_its_method_and_whether_it_excludes_one() -> None:
    clear = make_round_ratio("orm", "core", [80.0, 82.0, 79.0], [100.0, 101.0, 99.0])
    unclear = make_round_ratio("orm", "core", [80.0, 120.0, 95.0, 100.0], [100.0] * 4)

    assert (clear.method, clear.significant, unclear.significant) == (ROUND_METHOD, True, False)


def test_the_prediction_factor_predicts_another_runs_median_95_percent_of_the_time() -> None:
    """Checked on draws the factor was not simulated from."""
    rng = np.random.default_rng(123)
    a, b = rng.standard_normal((20_000, 5)), rng.standard_normal((20_000, 5))
    center = np.median(a, axis=1)
    sigma = 1.4826 * np.median(np.abs(a - center[:, None]), axis=1)
    hits = np.abs(center - np.median(b, axis=1)) <= prediction_factor(5) * sigma

    assert float(np.mean(hits)) == pytest.approx(0.95, abs=0.01)
    with pytest.raises(ValueError, match="2 rounds"):
        prediction_factor(1)


def simulated_run(rng: np.random.Generator, rounds: int) -> tuple[list[float], list[float]]:
    """One run of ``rounds`` rounds on a machine whose load drifts from round to round: both
    apps of a round share its slowdown only in part (they run back to back), so each round's
    ratio wanders around the true 1.25."""
    drift = rng.normal(0.0, 0.3, size=rounds)  # the machine, per round
    upper = 800 * np.exp(drift + rng.normal(0.0, 0.08, size=rounds))
    lower = 1000 * np.exp(drift + rng.normal(0.0, 0.08, size=rounds))
    return upper.tolist(), lower.tolist()


def containment(interval_of: Any, runs: int = 400) -> float:
    """How often one simulated run's interval contains the next run's estimate."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(runs):
        a, b = (interval_of(*simulated_run(rng, 5)) for _ in range(2))
        hits += a.low <= b.median <= a.high
    return hits / runs


def test_the_round_interval_contains_the_next_runs_estimate_at_least_90_percent() -> None:
    assert containment(round_ratio_interval) >= 0.90


def test_a_bootstrap_of_five_adjacent_ratios_would_not() -> None:
    """Why the method changed: the bootstrap's interval of the median of five per-round
    ratios misses the next run's figure far more often than one time in ten."""

    def bootstrap(upper: list[float], lower: list[float]) -> Any:
        ratios = [u / v for u, v in zip(upper, lower, strict=True)]
        return bootstrap_median_interval(ratios, resamples=400)

    assert containment(bootstrap) < 0.85


# --- the calibration check -------------------------------------------------------------------


def ratio(value: float, low: float, high: float) -> Ratio:
    interval = Interval(value, low, high)
    return Ratio("orm", "core", interval, not interval.spans_one(), method=ROUND_METHOD)


Bounds = tuple[float, float, float]


def load_report(cells: dict[str, tuple[Bounds, Bounds]]) -> Report:
    """A report with one valid orm cell per endpoint: (requests/s ratio, CPU ratio)."""
    return Report(
        schema_version=SCHEMA_VERSION,
        created_at="2026-01-01T00:00:00+00:00",
        profile="default",
        environment={},
        settings={},
        gates=[],
        timings=[],
        load=[
            LoadRun(
                backend="sqlite",
                app="orm",
                endpoint=endpoint,
                concurrency=16,
                generator="wrk",
                duration_s=0.2,
                requests=200,
                requests_per_s=1000.0,
                latency_ms={"p50": 1.0, "p90": 2.0, "p99": 3.0, "max": 4.0},
                errors=0,
                timeouts=0,
                ratios=[ratio(*rps)],
                cpu_ratios=[ratio(*cpu)],
            )
            for endpoint, (rps, cpu) in cells.items()
        ],
        breakdown=[],
        targets=[],
        conclusions=[],
    )


STEADY_A = load_report(
    {
        "get_one": ((0.80, 0.70, 0.92), (1.30, 1.25, 1.35)),
        "list_20": ((0.85, 0.75, 0.95), (1.20, 1.15, 1.26)),
    }
)
STEADY_B = load_report(
    {
        "get_one": ((0.78, 0.70, 0.88), (1.31, 1.26, 1.36)),
        "list_20": ((0.90, 0.82, 0.99), (1.21, 1.16, 1.27)),
    }
)
NARROW_B = load_report(
    {
        "get_one": ((0.95, 0.94, 0.96), (1.31, 1.26, 1.36)),  # far outside A's interval
        "list_20": ((0.87, 0.865, 0.875), (1.21, 1.16, 1.27)),  # A holds 0.87, B not 0.85
    }
)


def test_two_runs_whose_intervals_hold_pass(tmp_path: Path, capsys: Any) -> None:
    summaries = calibration.summarize(calibration.pairs(STEADY_A, STEADY_B))

    assert [(s.kind, s.total, s.contained, s.agree) for s in summaries] == [
        ("requests/s", 2, 2, 1),  # 0.78 against 0.80 agrees within 5%; 0.90 against 0.85 not
        ("CPU per request", 2, 2, 2),
    ]
    assert all(s.holds for s in summaries)
    paths = write(tmp_path, STEADY_A, STEADY_B)
    assert calibration.main(paths) == 0
    assert "requests/s: 2/2 (100%) contained" in capsys.readouterr().out


def test_a_run_whose_interval_misses_the_other_runs_estimate_fails(
    tmp_path: Path, capsys: Any
) -> None:
    """Containment is checked both ways: B's narrow intervals miss A's estimates even where
    A's wide interval contains B's."""
    summaries = {s.kind: s for s in calibration.summarize(calibration.pairs(STEADY_A, NARROW_B))}

    assert (summaries["requests/s"].contained, summaries["requests/s"].total) == (0, 2)
    assert not summaries["requests/s"].holds
    assert summaries["CPU per request"].holds
    assert calibration.main(write(tmp_path, STEADY_A, NARROW_B)) == 1
    assert "does not hold" in capsys.readouterr().out


def test_invalid_cells_and_ratios_in_one_run_only_are_left_out() -> None:
    invalid = load_report({"get_one": ((0.8, 0.7, 0.9), (1.3, 1.2, 1.4))})
    invalid.load[0].unexpected_statuses = {"404": 3}
    extra = load_report({"count": ((0.8, 0.7, 0.9), (1.3, 1.2, 1.4))})

    assert calibration.pairs(STEADY_A, invalid) == []
    assert calibration.pairs(STEADY_A, extra) == []
    assert calibration.exit_code([]) == 1  # nothing to check is no pass


def write(tmp_path: Path, a: Report, b: Report) -> list[str]:
    """Both reports as ``report.json`` files, as the command reads them."""
    paths = []
    for name, report in (("a", a), ("b", b)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(report.to_json()))
        paths.append(str(path))
    return paths


# --- the server's CPU ------------------------------------------------------------------------

BURNER = textwrap.dedent(
    """
    import multiprocessing, sys, threading, time

    def burn(seconds):
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    def worker(burnt, stop):
        burn(0.2)
        burnt.set()
        stop.wait()

    def pool_thread(burnt, stop):
        burn(0.1)
        burnt.set()
        stop.wait()  # a pool's threads stay alive between requests

    if __name__ == "__main__":
        context = multiprocessing.get_context("fork")
        burnt, stop = context.Event(), context.Event()
        sys.stdin.readline()  # wait until the test has read the CPU before
        child = context.Process(target=worker, args=(burnt, stop))
        child.start()  # a worker process, like uvicorn's --workers
        thread_burnt, thread_stop = threading.Event(), threading.Event()
        thread = threading.Thread(target=pool_thread, args=(thread_burnt, thread_stop))
        thread.start()  # a pool thread, like FastAPI's for sync dependencies
        thread_burnt.wait()
        burnt.wait()
        print("burnt", flush=True)
        sys.stdin.readline()  # stay alive until the test has read the CPU after
        stop.set()
        thread_stop.set()
        child.join()
        thread.join()
    """
)


def test_the_cpu_of_a_servers_threads_and_worker_processes_is_counted() -> None:
    assert server_cpu.available()
    with subprocess.Popen(
        [sys.executable, "-c", BURNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        try:
            before = server_cpu.CpuReading.of(process.pid)
            process.stdin.write("go\n")
            process.stdin.flush()
            assert process.stdout.readline() == "burnt\n"
            spent = server_cpu.settled(process.pid).since(before)
        finally:
            process.stdin.write("done\n")
            process.stdin.flush()
            process.wait(timeout=10)
    # 0.2 s in the worker process and 0.1 s in the thread, plus a little start-up
    assert 0.29 <= spent <= 1.0


def test_a_thread_that_exited_is_not_counted_negative() -> None:
    before = server_cpu.CpuReading({(1, 1): 5_000_000, (1, 2): 9_000_000})
    after = server_cpu.CpuReading({(1, 1): 7_000_000, (1, 3): 1_000_000})

    assert after.since(before) == pytest.approx(0.003)


# --- CPU per request in the summary of a cell ------------------------------------------------


def window(requests_per_s: float, cpu_us: float | None) -> LoadStats:
    return LoadStats(
        generator="wrk",
        concurrency=16,
        requests=int(requests_per_s / 5),
        duration_s=0.2,
        requests_per_s=requests_per_s,
        latency_ms={"p50": 3.0, "p90": 5.0, "p99": 9.0, "max": 12.0},
        errors=0,
        timeouts=0,
        server_cpu_us_per_request=cpu_us,
    )


def test_each_cell_reports_cpu_per_request_and_its_ratio_per_round() -> None:
    runs = summarize(
        "sqlite",
        {
            ("core", "get_one", 16, 1): [window(1000, 500.0), window(700, 520.0)],
            ("orm", "get_one", 16, 1): [window(800, 650.0), window(560, 676.0)],
        },
    )
    orm = next(run for run in runs if run.app == "orm")

    assert orm.cpu_us_per_request == pytest.approx(663.0)
    assert orm.cpu_us_per_request_samples == [650.0, 676.0]
    [cpu] = orm.cpu_ratios
    assert (cpu.numerator, cpu.denominator, cpu.method) == ("orm", "core", ROUND_METHOD)
    assert cpu.interval.median == pytest.approx(1.3)  # 650/500 and 676/520: 1.3 both rounds
    assert orm.ratios[0].interval.median == pytest.approx(0.8)


def test_a_cell_with_a_round_missing_its_cpu_reports_no_cpu_figure() -> None:
    runs = summarize(
        "sqlite",
        {
            ("core", "get_one", 16, 1): [window(1000, 500.0), window(700, None)],
            ("orm", "get_one", 16, 1): [window(800, 650.0), window(560, 676.0)],
        },
    )
    core = next(run for run in runs if run.app == "core")
    orm = next(run for run in runs if run.app == "orm")

    assert (core.cpu_us_per_request, core.cpu_us_per_request_samples) == (None, [])
    assert orm.cpu_ratios == []
    assert orm.ratios  # requests/s is still compared


def test_a_round_with_no_response_on_either_side_has_no_ratio() -> None:
    """A window in which a busy machine starved the generator or the server (0 requests/s)
    measured the machine: that round is left out of the ratio, the others are kept."""
    runs = summarize(
        "sqlite",
        {
            ("core", "get_one", 16, 1): [
                window(1000, 500.0),
                window(0.0, 520.0),
                window(900, 510.0),
            ],
            ("orm", "get_one", 16, 1): [window(800, 650.0), window(560, 676.0), window(720, 663.0)],
        },
    )
    orm = next(run for run in runs if run.app == "orm")

    assert orm.ratios[0].interval.median == pytest.approx(0.8)  # rounds 1 and 3
    assert orm.cpu_ratios[0].interval.median == pytest.approx(1.3)  # all three rounds


@pytest.mark.parametrize(
    ("code", "busy"), [("import time; time.sleep(30)", False), ("while True: pass", True)]
)
def test_a_server_is_settled_only_once_no_thread_runs_or_waits_for_a_cpu(
    code: str, busy: bool
) -> None:
    """A server starved of CPU on a busy machine spends little but is not idle: settled()
    waits while any thread is running or runnable (here, until its timeout)."""
    with subprocess.Popen([sys.executable, "-c", code]) as process:
        try:
            time.sleep(0.2)  # past the interpreter's start-up
            started = time.monotonic()
            reading = server_cpu.settled(process.pid, timeout_s=0.3)
            waited = time.monotonic() - started
        finally:
            process.kill()
    assert reading.runnable is busy
    assert (waited >= 0.3) is busy
