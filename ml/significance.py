"""Multiple-testing corrections for the influence scores (media x clocks tested per period)."""
from __future__ import annotations

from collections.abc import Sequence


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni step-down adjusted p-values, in the input's order: monotone in the sorted
    p-values and capped at 1. A hypothesis is rejected at level a when its adjusted p <= a."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * float(pvalues[i])))
        adjusted[i] = running
    return adjusted
