"""What a benchmark run produces, as plain dataclasses that serialize to ``report.json``.

Units are in the field names or in ``unit``: times are microseconds per operation, latencies
milliseconds, throughput requests per second. Every figure that comes from repeated
measurements carries its samples, its median and a 95% confidence interval.

``Report.from_json`` reads a ``report.json`` back into the same dataclasses, so that what
reads an earlier run (``--compare``, ``python -m benchmarks.calibration``) works on the types
a run writes, not on dicts that repeat the schema's key names.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SCHEMA_VERSION = 1

D = TypeVar("D", bound="DataclassInstance")
T = TypeVar("T")


def _build(cls: type[D], data: Mapping[str, Any], **nested: Callable[[Any], Any]) -> D:
    """``cls`` from its JSON object: the fields named in ``nested`` through their builders,
    every other value copied as it is (numbers, strings, lists and dicts of them).

    A key ``cls`` has no field for is refused, so that nothing in a file is silently dropped;
    a field the object lacks takes its default (a report written before the field existed),
    and a missing field without a default is refused too.
    """
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}")
    values = {
        name: nested[name](value) if name in nested else copy.deepcopy(value)
        for name, value in data.items()
    }
    try:
        return cls(**values)
    except TypeError as error:  # a required field is missing
        raise ValueError(f"{cls.__name__}: {error}") from None


def _optional(build: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """A builder that keeps a JSON null as None (a figure that was not measured)."""
    return lambda value: None if value is None else build(value)


def _each(build: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """A builder of a JSON array, item by item."""
    return lambda values: [build(value) for value in values]


@dataclass
class Interval:
    """A median with its 95% bootstrap confidence interval."""

    median: float
    low: float
    high: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Interval:
        """The interval of a ``{"median", "low", "high"}`` object."""
        return _build(cls, data)

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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ratio:
        """The ratio of its JSON object (no ``method``: a report from before over-the-wire
        ratios had their own, when every ratio was a bootstrap median)."""
        return _build(cls, data, interval=Interval.from_json)


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timing:
        """The timing of its JSON object, its interval and ratios rebuilt."""
        return _build(cls, data, interval=Interval.from_json, ratios=_each(Ratio.from_json))


class TimingIndex:
    """Timings found by the four names that identify one: layer, backend, rung, operation.

    Readers of a run look timings up by name again and again (a ratio's baseline, a table's
    cell, a target's figure, a gap's two ends); one index, built once, replaces a scan or a
    dict keyed by some of the four names, built anew by each reader. Iterating gives the
    timings in their order. When two timings share all four names the first is found, as a
    scan finds it (a run never measures one twice).
    """

    def __init__(self, timings: Iterable[Timing]) -> None:
        self._timings: dict[tuple[str, str, str, str], Timing] = {}
        for timing in timings:
            key = (timing.layer, timing.backend, timing.rung, timing.operation)
            self._timings.setdefault(key, timing)

    def get(self, layer: str, backend: str, rung: str, operation: str) -> Timing | None:
        """The timing of ``operation`` on ``rung``, or None when it was not measured."""
        return self._timings.get((layer, backend, rung, operation))

    def __iter__(self) -> Iterator[Timing]:
        return iter(self._timings.values())

    def __len__(self) -> int:
        return len(self._timings)


@dataclass
class ServerCrash:
    """A server that died in one of a cell's windows; the window was dropped and measured again
    on a restarted server (``benchmarks.wire.survive_one_crash``)."""

    round: int  # the round of the window it broke, from 1
    summary: str  # "orm server killed by SIGSEGV in fetchall (engine/cursor.py, line 1315)"
    fault: str = ""  # what faulthandler wrote for the thread that faulted ("" when nothing)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServerCrash:
        """The crash of its JSON object."""
        return _build(cls, data)


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
    server_crashes: list[ServerCrash] = field(default_factory=list)  # windows measured again

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadRun:
        """The run of its JSON object, its intervals and ratios rebuilt; a report from before
        a field existed (server CPU, statuses, windows) gets the field's default."""
        return _build(
            cls,
            data,
            requests_per_s_interval=_optional(Interval.from_json),
            ratios=_each(Ratio.from_json),
            cpu_us_per_request_interval=_optional(Interval.from_json),
            cpu_ratios=_each(Ratio.from_json),
            server_crashes=_each(ServerCrash.from_json),
        )

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

    ``(instructions of n operations - instructions of 0 operations on the rung) / n``, each
    after a warm-up in the same process; ``by_family`` splits that figure by the object file the
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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InstructionCount:
        """The count of its JSON object (plain numbers all through)."""
        return _build(cls, data)


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CostFit:
        """The fit of its JSON object; a null interval stays None (not measured)."""
        return _build(
            cls,
            data,
            fixed_us=_optional(Interval.from_json),
            per_row_us=_optional(Interval.from_json),
        )


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BreakdownPart:
        """The part of its JSON object (no ``note``: None)."""
        return _build(cls, data)

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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Breakdown:
        """The gap of its JSON object, its parts rebuilt."""
        return _build(cls, data, parts=_each(BreakdownPart.from_json))

    def to_json(self) -> dict[str, Any]:
        """The gap's JSON object, its parts without an empty ``note``."""
        return asdict(self) | {"parts": [part.to_json() for part in self.parts]}


@dataclass
class Gate:
    """A check that must pass before any figure is reported."""

    name: str
    passed: bool
    detail: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gate:
        """The gate of its JSON object."""
        return _build(cls, data)


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        """The target of its JSON object.

        A report written before targets were judged on intervals has ``met`` (true, false,
        or null when not measured) instead of ``status``: it reads as met, missed or not
        measured, the statuses that field meant.
        """
        if "met" in data and "status" not in data:
            status = {True: MET, False: MISSED, None: NOT_MEASURED}[data["met"]]
            data = {key: value for key, value in data.items() if key != "met"} | {"status": status}
        target = _build(cls, data)
        if target.status not in TARGET_STATUSES:
            raise ValueError(f"target {target.name!r} has an unknown status {target.status!r}")
        return target


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """The report of a loaded ``report.json``, every nested entry a dataclass again:
        ``Report.from_json(report.to_json()) == report``.

        A file of another ``schema_version`` is refused rather than misread. Within version 1
        fields were added over time: a field a file lacks takes its default (no instruction
        counts, no curves, no server CPU…), and the one renamed field (a target's ``met``) is
        read as what it meant.
        """
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"report.json has schema_version {data.get('schema_version')!r}; "
                f"this harness reads version {SCHEMA_VERSION}"
            )
        return _build(
            cls,
            data,
            gates=_each(Gate.from_json),
            timings=_each(Timing.from_json),
            load=_each(LoadRun.from_json),
            breakdown=_each(Breakdown.from_json),
            targets=_each(Target.from_json),
            instructions=_each(InstructionCount.from_json),
            curves=_each(CostFit.from_json),
        )

    def timing(self, layer: str, backend: str, rung: str, operation: str) -> Timing | None:
        """One timing of this run, or None when it was not measured. Each call indexes the
        timings anew (they may have been replaced since); a reader that looks up many builds
        one ``TimingIndex`` instead."""
        return TimingIndex(self.timings).get(layer, backend, rung, operation)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see benchmarks/README.md for the schema)."""
        return asdict(self) | {"breakdown": [gap.to_json() for gap in self.breakdown]}
