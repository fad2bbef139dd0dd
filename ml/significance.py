"""Which media passed: Holm's correction for the number of media x clocks x periods tested.

The scorer writes one row per (period, medium, clock) with a raw one-sided p-value. A period's
answer tests every medium on both clocks, so a "significant" medium must survive a correction for
all of those tests. Families (the tests corrected together):

- a year's answer: the media x clocks of that year (5 x 2 = 10 tests);
- months: the media x clocks x months of one calendar year scored together (up to 120 tests).

Holm's step-down method controls the family-wise error rate at ``alpha`` under any dependence
between the tests. Raw scores never depend on the family; the adjusted p of a month can rise as
more months of its year are scored (the family grows).

The read API imports :func:`holm` and :func:`significant_media`; keep both signatures stable.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

ALPHA = 0.05
METHOD = "holm"


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values, in the order given: the k-th smallest of m p-values is multiplied by
    (m - k + 1), made non-decreasing along the sorted order, and capped at 1. A medium passes at
    level alpha when its adjusted p is below alpha. NaN p-values count as 1."""
    p = np.nan_to_num(np.asarray(pvalues, dtype=float), nan=1.0)
    m = len(p)
    if not m:
        return p
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def family_of(period_type: str, period: str) -> str:
    """The family a row is corrected in: ``year 2025``, or ``months of 2025``."""
    return f"year {period}" if period_type == "year" else f"months of {period[:4]}"


def adjust(frame: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """``frame`` (rows with period_type, period, p_value) with ``p_adjusted``, ``significant`` and
    ``family`` added: Holm within each family of :func:`family_of`."""
    out = frame.copy()
    out["family"] = [family_of(k, p) for k, p in zip(out["period_type"], out["period"])]
    out["p_adjusted"] = np.nan
    for _name, idx in out.groupby("family").groups.items():
        out.loc[idx, "p_adjusted"] = holm(out.loc[idx, "p_value"].to_numpy())
    out["significant"] = (out["p_adjusted"] < alpha) & (out["influence"] > 0)
    return out


def significant_media(rows: Iterable[Mapping], alpha: float = ALPHA) -> list[dict]:
    """The media that pass Holm's correction among ``rows``, most influential first.

    ``rows``: one family of tests, each a mapping with at least ``medium``, ``clock``,
    ``influence`` and ``p_value`` (raw), e.g. every row of one year of ``m_media_influence``.
    Returns those rows (as dicts) whose Holm-adjusted p is below ``alpha`` and whose influence is
    positive, each with ``p_adjusted`` added; an empty list means no medium passed."""
    rows = [dict(r) for r in rows]
    adjusted = holm([r["p_value"] for r in rows])
    passed = [{**r, "p_adjusted": float(a)} for r, a in zip(rows, adjusted)
              if a < alpha and r["influence"] > 0]
    return sorted(passed, key=lambda r: -r["influence"])
