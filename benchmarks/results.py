"""What a benchmark run produces, as plain dataclasses that serialize to ``report.json``.

Units are in the field names or in ``unit``: times are microseconds per operation, latencies
milliseconds, throughput requests per second. Every figure that comes from repeated
measurements carries its samples, its median and a 95% confidence interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Interval:
    """A median with its 95% bootstrap confidence interval."""

    median: float
    low: float
    high: float

    def spans_one(self) -> bool:
        """True when the interval includes 1.0: a ratio not significantly different from 1."""
        return self.low <= 1.0 <= self.high


@dataclass
class Ratio:
    """``numerator`` / ``denominator`` per repeat (same repeat, interleaved), summarized.

    ``method`` says how: in process the median of per-repeat ratios with a bootstrap
    interval; over the wire the median of per-round ratios with a 95% prediction interval
    for another run's median (``benchmarks.stats.round_ratio_interval``).
    """

    numerator: str
    denominator: str
    interval: Interval
    significant: bool
    method: str = "bootstrap median"


@dataclass
class Timing:
    """One operation on one rung of one layer and backend: time per operation over repeats."""

    layer: str  # "data" (in process, data access only) or "asgi" (whole app in process)
    backend: str  # "sqlite", "postgresql", "mariadb"
    rung: str  # "raw", "floor", a registered variant's name, or "<variant>+<knob>"
    operation: str  # a name from benchmarks.registry.OPERATIONS
    unit: str  # "us/op"
    operations_per_sample: int
    samples: list[float]  # one per repeat, warm-ups excluded
    interval: Interval
    queries_per_operation: float | None  # SQL statements sent per operation (None: not counted)
    ratios: list[Ratio] = field(default_factory=list)


@dataclass
class LoadRun:
    """One app served by uvicorn in its own process, under load at one concurrency.

    Ratios against another app (``ratios`` of requests/s, ``cpu_ratios`` of CPU per
    request) are per round, summarized by ``benchmarks.stats.round_ratio_interval``.
    ``window_s`` holds the measured window of each repeat as it actually ran and
    ``warmup_s`` the warm-up before each (median), so the report states what was measured,
    not what was planned. A response with any status other than ``expected_status`` inside
    a window is counted in ``unexpected_statuses`` (by status) and makes the cell invalid.
    """

    backend: str
    app: str  # "floor" or a registered variant's name
    endpoint: str  # an operation name
    concurrency: int
    generator: str  # "wrk" or "builtin"
    duration_s: float
    requests: int
    requests_per_s: float
    latency_ms: dict[str, float]  # p50, p90, p99, max
    errors: int
    timeouts: int
    repeats: int = 1
    workers: int = 1  # uvicorn worker processes serving the app (--workers)
    requests_per_s_samples: list[float] = field(default_factory=list)  # one per repeat
    requests_per_s_interval: Interval | None = None
    ratios: list[Ratio] = field(default_factory=list)  # requests/s against another app
    # the server's CPU (user + system, all its processes and threads) per request it handled
    cpu_us_per_request: float | None = None  # median over repeats; None: not measured
    cpu_us_per_request_samples: list[float] = field(default_factory=list)  # one per repeat
    cpu_us_per_request_interval: Interval | None = None
    cpu_ratios: list[Ratio] = field(default_factory=list)  # CPU per request against another app
    expected_status: int = 200
    unexpected_statuses: dict[str, int] = field(default_factory=dict)  # status -> count
    window_s: list[float] = field(default_factory=list)  # one per repeat, as it ran
    warmup_s: float = 0.0  # before each window, as it ran (median)

    @property
    def unexpected(self) -> int:
        """Responses in the measured windows whose status was not the expected one."""
        return sum(self.unexpected_statuses.values())

    @property
    def invalid(self) -> bool:
        """True when the cell measured something else than its operation: never a ratio,
        a conclusion or a met target."""
        return self.unexpected > 0

    def unexpected_text(self) -> str:
        """``5,085 unexpected (404 ×5,085)``, or "" for a valid cell."""
        if not self.invalid:
            return ""
        by_status = ", ".join(f"{s} ×{n:,}" for s, n in self.unexpected_statuses.items())
        return f"{self.unexpected:,} unexpected ({by_status})"


@dataclass
class InstructionCount:
    """CPU instructions one operation costs on one rung, counted by callgrind (no noise).

    ``(instructions of n operations - instructions of 0 operations) / n``, both after the same
    warm-up in the same process; ``by_family`` splits that figure by the object file the
    instructions ran in (see ``benchmarks.callgrind.OBJECT_FAMILIES``). On PostgreSQL and
    MariaDB the server's own work runs in another process and is not counted.
    """

    layer: str  # "data" or "asgi", as for Timing
    backend: str
    rung: str
    operation: str
    tool: str  # "callgrind"
    operations: int  # n
    instructions_per_operation: float
    by_family: dict[str, float]
    ratios: dict[str, float] = field(default_factory=dict)  # e.g. {"orm/core": 2.4}


@dataclass
class CostFit:
    """How one rung's time grows with rows: time = fixed + per_row × rows, fitted over the
    operations of a size series (``benchmarks.curves``).

    ``fixed_samples`` and ``per_row_samples`` hold one fit per repeat (every size of that
    repeat), so that two rungs' fits pair by repeat as their times do; ``fixed_us`` and
    ``per_row_us`` are their medians with 95% bootstrap intervals. A fit that cannot be made
    (fewer than two sizes, repeats that do not pair) has None there and says why in
    ``not_measured``: it is reported as not measured, never as a number.
    """

    layer: str
    backend: str
    rung: str
    series: str  # "list" or "insert" (``benchmarks.registry.SERIES``)
    sizes: list[int]  # rows per call of the fitted operations, rising
    medians_us: list[float]  # the median time of each size
    fixed_us: Interval | None
    per_row_us: Interval | None
    fixed_samples: list[float] = field(default_factory=list)
    per_row_samples: list[float] = field(default_factory=list)
    worst_residual: float | None = None  # largest |median − line| / median over the sizes
    not_measured: str = ""  # why there is no fit ("" when there is one)


@dataclass
class BreakdownPart:
    """One part of a gap: the µs one function family (``source`` "cProfile own time") or one
    layer of the ladder (``source`` "ladder") adds per operation (``benchmarks.breakdown``).

    A negative part offsets some of what the others add; ``note`` then says what it offsets
    (None on every other part, and absent from ``report.json``, as it always was).
    """

    name: str
    us: float
    source: str
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The part's JSON object: ``note`` only where there is one."""
        data = asdict(self)
        if self.note is None:
            del data["note"]
        return data


@dataclass
class Breakdown:
    """One gap between two rungs (``gap`` names them, e.g. "orm − core (data layer)") on
    one operation and backend, split into parts; ``unexplained_us`` is what no part covers.
    """

    backend: str
    operation: str
    gap: str
    gap_us: float
    parts: list[BreakdownPart]
    unexplained_us: float

    def to_json(self) -> dict[str, Any]:
        """The gap's JSON object, its parts without an empty ``note``."""
        return asdict(self) | {"parts": [part.to_json() for part in self.parts]}


@dataclass
class Gate:
    """A check that must pass before any figure is reported."""

    name: str
    passed: bool
    detail: str


MET = "met"
MISSED = "missed"
NOT_SIGNIFICANT = "not significant"
NOT_MEASURED = "not measured"
TARGET_STATUSES = (MET, MISSED, NOT_SIGNIFICANT, NOT_MEASURED)
"""A target is *met* when the whole 95% interval of its figure lies on the right side of the
goal, *missed* when the whole interval lies on the wrong side, *not significant* when the
interval straddles the goal (this run cannot tell), *not measured* when the figure is not in
this run. A figure that has no interval (a count) is its own interval."""


@dataclass
class Target:
    """A goal the apps should reach, and whether this run's interval says it did."""

    name: str
    goal: str
    measured: str
    status: str  # one of TARGET_STATUSES


@dataclass
class Report:
    """Everything one run measured, with the environment it ran in."""

    schema_version: int
    created_at: str
    profile: str  # "quick", "default", "full"
    environment: dict[str, Any]
    settings: dict[str, Any]
    gates: list[Gate]
    timings: list[Timing]
    load: list[LoadRun]
    breakdown: list[Breakdown]
    targets: list[Target]
    conclusions: list[str]
    instructions: list[InstructionCount] = field(default_factory=list)
    curves: list[CostFit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see benchmarks/README.md for the schema)."""
        return asdict(self) | {"breakdown": [gap.to_json() for gap in self.breakdown]}
