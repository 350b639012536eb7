"""How every figure is written, in the Markdown report, the verdict and the terminal alike.

One place, so that a median, a ratio or a count reads the same wherever it appears.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from benchmarks.results import Interval, Ratio

MISSING = "—"
NOT_SIGNIFICANT = " n.s."


def format_us(value: float) -> str:
    """Microseconds to 3 significant figures with thousands separators: ``45.2``, ``1,230``.

    Three figures because run-to-run noise is rarely below 1%: more digits would be noise.
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.3g}")
    exponent = math.floor(math.log10(abs(rounded)))
    return f"{rounded:,.{max(0, 2 - exponent)}f}"


def format_ratio_value(value: float) -> str:
    """A ratio with 2 decimals, which resolves the 1% differences the intervals can show."""
    return f"{value:.2f}"


def format_interval_us(interval: Interval) -> str:
    """``median [low–high]`` in µs."""
    low, high = format_us(interval.low), format_us(interval.high)
    return f"{format_us(interval.median)} [{low}–{high}]"


def format_ratio_interval(interval: Interval) -> str:
    """``1.84× [1.70–1.95]``."""
    low, high = format_ratio_value(interval.low), format_ratio_value(interval.high)
    return f"{format_ratio_value(interval.median)}× [{low}–{high}]"


def format_ratio(ratio: Ratio) -> str:
    """``1.84× [1.70–1.95]``, followed by `` n.s.`` when the ratio is not significant."""
    text = format_ratio_interval(ratio.interval)
    return text if ratio.significant else text + NOT_SIGNIFICANT


UNPINNED_SPREAD = 1.5
"""An over-the-wire ratio whose interval's high is more than 1.5× its low (about ±20%) is
too wide to say more than its direction: the text says so in words."""
UNPINNED = "cannot be pinned down on this machine"


def pinned_down(ratio: Ratio) -> bool:
    """False when ``ratio``'s interval is too wide to state a figure (``UNPINNED_SPREAD``)."""
    low, high = ratio.interval.low, ratio.interval.high
    return low > 0 and high / low <= UNPINNED_SPREAD


def format_wire_ratio(ratio: Ratio) -> str:
    """``format_ratio``, followed by "(cannot be pinned down on this machine)" when its
    interval is too wide to mean a figure."""
    text = format_ratio(ratio)
    return text if pinned_down(ratio) else f"{text} ({UNPINNED})"


def format_percent_interval(interval: Interval) -> str:
    """``41% [37–45%]`` from an interval of fractions."""
    low, high = round(interval.low * 100), round(interval.high * 100)
    return f"{interval.median * 100:.0f}% [{low}–{high}%]"


def format_count(value: float) -> str:
    """A count: whole numbers as integers with separators (``1,000``, never ``1e+03``),
    fractions (amortized per operation) to 3 significant figures."""
    if math.isfinite(value) and math.isclose(value, round(value), abs_tol=1e-9):
        return f"{round(value):,}"
    return f"{value:,.3g}"


def ratio_name(ratio: Ratio) -> str:
    """``numerator/denominator``, e.g. ``orm/core``."""
    return f"{ratio.numerator}/{ratio.denominator}"


def _cell(value: object) -> str:
    """A table cell: pipes escaped and newlines flattened so that they cannot break the row."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table, as lines."""
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines
