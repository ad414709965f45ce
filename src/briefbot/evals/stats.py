"""Summary statistics and report formatting shared by the evaluations and the benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


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


def _ranks(values: Sequence[float]) -> npt.NDArray[np.float64]:
    """Ranks from 0, ties sharing their mean rank."""
    array = np.asarray(values, dtype=np.float64)
    result = np.empty(len(array))
    result[array.argsort(kind="stable")] = np.arange(len(array))
    for value in np.unique(array):
        tied = array == value
        result[tied] = result[tied].mean()
    return result


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation; NaN with fewer than two values or a constant side."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (Pearson of the tie-averaged ranks)."""
    if len(a) < 2:
        return float("nan")
    return pearson(list(_ranks(a)), list(_ranks(b)))
