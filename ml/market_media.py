"""Market-wide media (Fear & Greed, FX) and the market-level outcomes they are scored on.

These media are the same for every stock on a day, so they cannot say which stock moved; they
are scored on how turbulent the day was: the number of big movers (|r| >= 10%) and the
cross-sectional dispersion of r. Clocks as in :mod:`ml.features`: predictive uses the last value
dated before the day (a US close lands at ~06:00 KST, an Eximbank rate at ~11:00 KST), explanatory
the value dated on the day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import BIG_MOVE, MARKET_WINDOW


def _align(dates: np.ndarray, values: np.ndarray, days: np.ndarray) -> dict[str, np.ndarray]:
    """Values of a dated series on each trading day: the last one dated before (predictive) and
    the one dated on the day (explanatory); 0 where there is none."""
    dates = dates.astype("datetime64[D]")
    before = np.searchsorted(dates, days, side="left") - 1
    pred = np.where(before >= 0, values[np.maximum(before, 0)], 0.0)
    at = np.searchsorted(dates, days, side="left")
    hit = (at < len(dates)) & (dates[np.minimum(at, len(dates) - 1)] == days)
    expl = np.where(hit, values[np.minimum(at, len(dates) - 1)], 0.0)
    return {"predictive": pred, "explanatory": expl}


def market_media_features(fear_greed: pd.DataFrame, fx: pd.DataFrame, days: np.ndarray) -> dict:
    """clock -> {fg_move, fg_extreme, fx_move} (one value per trading day)."""
    out: dict[str, dict[str, np.ndarray]] = {"predictive": {}, "explanatory": {}}
    if len(fear_greed):
        score = fear_greed["score"].to_numpy(dtype=float)
        move = np.abs(np.diff(score, prepend=score[0]))
        extreme = np.abs(score - 50.0) / 50.0
        dates = fear_greed["as_of_date"].to_numpy()
        for name, series in (("fg_move", move), ("fg_extreme", extreme)):
            for clock, v in _align(dates, series, days).items():
                out[clock][name] = v
    else:
        for clock in out:
            out[clock]["fg_move"] = out[clock]["fg_extreme"] = np.zeros(len(days))
    if len(fx):
        rate = np.log(fx["rate"].to_numpy(dtype=float))
        move = np.abs(np.diff(rate, prepend=rate[0])) * 100
        for clock, v in _align(fx["rate_date"].to_numpy(), move, days).items():
            out[clock]["fx_move"] = v
    else:
        for clock in out:
            out[clock]["fx_move"] = np.zeros(len(days))
    return out


def trailing_quantile(x: np.ndarray, q: float, window: int = MARKET_WINDOW) -> np.ndarray:
    """The q-quantile of the trailing ``window`` values including today (NaN before 20 values)."""
    return pd.Series(x).rolling(window, min_periods=20).quantile(q).to_numpy()


def market_active(features: dict, media: dict[str, tuple[str, ...]]) -> dict:
    """clock -> medium -> bool per day: the medium's first feature (its move) in the top quartile
    of its trailing window, and non-zero."""
    out = {}
    for clock, named in features.items():
        out[clock] = {}
        for medium, names in media.items():
            move = named[names[0]]
            out[clock][medium] = (move > 0) & (move >= np.nan_to_num(trailing_quantile(move, 0.75),
                                                                     nan=np.inf))
    return out


def market_outcomes(r: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Per day: big_movers, dispersion, turbulent (big_movers above its trailing median), and the
    lagged controls lag_big_movers, lag_dispersion."""
    big = (np.abs(np.nan_to_num(r)) >= BIG_MOVE).sum(axis=1).astype(float)
    n = valid.sum(axis=1)
    masked = np.where(valid, r, 0.0)
    mean = masked.sum(axis=1) / np.maximum(n, 1)
    var = (np.where(valid, (masked - mean[:, None]) ** 2, 0.0)).sum(axis=1) / np.maximum(n, 1)
    disp = np.where(n > 1, np.sqrt(var), 0.0)
    median = trailing_quantile(big, 0.5)
    turbulent = big > np.nan_to_num(median, nan=np.inf)
    lag_big = np.concatenate([[0.0], np.log1p(big[:-1])])
    lag_disp = np.concatenate([[disp[0] if len(disp) else 0.0], disp[:-1]])  # day 0: a training day
    return {"big_movers": big, "dispersion": disp, "turbulent": turbulent,
            "lag_big_movers": lag_big, "lag_dispersion": lag_disp}
