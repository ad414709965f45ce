"""Maximal marginal relevance: pick items that are relevant and unlike those already picked.

One loop serves retrieval (chunks), the extractive answer (sentences) and the offline brief
(sentences within a word budget); each passes its own scores and, where it needs them, a
score adjustment that depends on what is chosen and an acceptance test for each pick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

Adjust = Callable[[list[int], list[int]], Floats]
"""(remaining, chosen) -> a term added to the remaining items' scores before weighting."""

Accept = Callable[[int, float], bool]
"""(index, redundancy to the chosen) -> keep the pick? A refused pick is dropped for good."""


def mmr(
    scores: Sequence[float] | Floats,
    similarity: Floats,
    lambda_: float,
    *,
    limit: int | None = None,
    candidates: Sequence[int] | None = None,
    adjust: Adjust | None = None,
    accept: Accept | None = None,
) -> list[int]:
    """Indexes picked in order: each maximises ``λ·(score + adjust) − (1 − λ)·redundancy``.

    ``similarity`` is the items' pairwise similarity matrix; redundancy is an item's highest
    similarity to those already chosen (0 before the first pick). Ties go to the earlier
    candidate, so ``candidates`` in rank order keeps rank order among equals.
    """
    values = np.asarray(scores, dtype=np.float64)
    remaining = list(range(len(values))) if candidates is None else list(candidates)
    chosen: list[int] = []
    while remaining and (limit is None or len(chosen) < limit):
        redundancy = (
            similarity[np.ix_(remaining, chosen)].max(axis=1)
            if chosen
            else np.zeros(len(remaining))
        )
        gain = values[remaining]
        if adjust is not None:
            gain = gain + adjust(remaining, chosen)
        best = int(np.argmax(lambda_ * gain - (1 - lambda_) * redundancy))
        index = remaining.pop(best)
        if accept is None or accept(index, float(redundancy[best])):
            chosen.append(index)
    return chosen
