"""Summary statistics and report formatting shared by the evaluations and the benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    """The median; NaN when there are no values."""
    return statistics.median(values) if values else float("nan")


def share(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a percentage ("n/a" of nothing)."""
    return f"{part / whole:.1%}" if whole else "n/a"


def percent(value: float | None) -> str:
    """A fraction as a percentage ("n/a" when unknown)."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def ms(value: float) -> str:
    """Milliseconds, whole ("n/a" for NaN)."""
    return "n/a" if value != value else f"{value:.0f}"


def table_cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
