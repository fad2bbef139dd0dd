"""Scoring out of sample: per-day average precision of the rolling models, the drop when a medium
is removed, its permutation p-value and its block-bootstrap interval, per month and year."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.modeling.train import RollingFit

BLOCK_DAYS = 5


def linear_scores(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """(days, units) logits of features ``X`` (F, days, units) under per-day coefficients W."""
    return np.einsum("fdu,df->du", X, W[:, :-1], optimize=True) + W[:, -1:]


def ap_per_day(scores: np.ndarray, positive: np.ndarray, valid: np.ndarray,
               chunk: int = 64) -> np.ndarray:
    """Average precision of each day's ranking of valid units (NaN on a day without positives).

    Only the positives' ranks are needed: AP = mean over the k-th positive of k / its position.
    Ties count at their mean position (a random tie-break in expectation)."""
    s = np.where(valid, scores, -np.inf)
    pos = positive & valid
    n_pos = pos.sum(axis=1)
    width = max(int(n_pos.max(initial=0)), 1)
    order = np.argsort(~pos, axis=1, kind="stable")[:, :width]
    has = np.take_along_axis(pos, order, axis=1)
    sp = np.take_along_axis(s, order, axis=1)
    out = np.full(len(s), np.nan)
    for a in range(0, len(s), chunk):
        b = min(a + chunk, len(s))
        blk, p = s[a:b, None, :], sp[a:b, :, None]
        greater = (blk > p).sum(axis=2)
        equal = (blk == p).sum(axis=2)
        rank = np.where(has[a:b], greater + (equal + 1) / 2.0, np.inf)
        rank.sort(axis=1)
        k = np.arange(1, width + 1)[None, :]
        prec = np.where(np.isfinite(rank), k / rank, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a:b] = np.where(n_pos[a:b] > 0, prec.sum(axis=1) / n_pos[a:b], np.nan)
    return out


def ap_rows(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Average precision of each row (rows of a bootstrap or permutation), ties ignored."""
    order = np.argsort(-scores, axis=1, kind="stable")
    lab = np.take_along_axis(labels, order, axis=1).astype(float)
    cum = np.cumsum(lab, axis=1)
    prec = cum / np.arange(1, lab.shape[1] + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (prec * lab).sum(axis=1) / lab.sum(axis=1)


def block_indices(n: int, n_boot: int, rng: np.random.Generator, block: int = BLOCK_DAYS) -> np.ndarray:
    """(n_boot, n) day indexes of a moving-block bootstrap with blocks of ``block`` days."""
    block = max(1, min(block, n))
    n_blocks = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_boot, -1)
    return idx[:, :n]


def periods_of(days: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """(period_type, period) -> positions of ``days`` (datetime64[D]) in that month / year."""
    ts = pd.DatetimeIndex(days)
    out: dict[tuple[str, str], np.ndarray] = {}
    for kind, labels in (("month", ts.strftime("%Y-%m")), ("year", ts.strftime("%Y"))):
        for label in pd.unique(labels):
            out[(kind, label)] = np.flatnonzero(labels == label)
    return out


def _summary(full: np.ndarray, without: np.ndarray, perm_means: np.ndarray, rng, n_boot: int):
    """influence, CI and p of one period from per-day AP (full, without) and permuted means."""
    ok = np.isfinite(full) & np.isfinite(without)
    drop = (full - without)[ok]
    if not len(drop):
        return None
    boot = drop[block_indices(len(drop), n_boot, rng)].mean(axis=1)
    stat = full[ok].mean()
    p = (1 + np.sum(perm_means >= stat - 1e-12)) / (len(perm_means) + 1)
    return {"influence": float(drop.mean()), "ci_low": float(np.quantile(boot, 0.025)),
            "ci_high": float(np.quantile(boot, 0.975)), "p_value": float(p),
            "pr_auc_full": float(full[ok].mean()), "pr_auc_without": float(without[ok].mean()),
            "n_days": int(ok.sum())}


def stock_influence(X: np.ndarray, top: np.ndarray, valid: np.ndarray, days: np.ndarray,
                    fit: RollingFit, media: dict[str, tuple[str, ...]], *, n_perm: int = 99,
                    n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Influence per (period, medium) of stock-level media: drop in mean per-day AP of top-10
    membership without the medium; p from permuting the medium's features across stocks within
    each day (the fitted full model rescored, so no refit per permutation)."""
    rng = np.random.default_rng(seed)
    e = fit.eval_days
    if not len(e):
        return pd.DataFrame()
    Xe, pos, val = X[:, e], top[e], valid[e]
    full_scores = linear_scores(Xe, fit.coef["full"])
    full = ap_per_day(full_scores, pos, val)
    periods = periods_of(days[e])
    rows = []
    for medium, names in media.items():
        cols = [fit.names.index(n) for n in names]
        without = ap_per_day(linear_scores(Xe, fit.coef[medium]), pos, val)
        W = fit.coef["full"][:, cols]
        contribution = np.einsum("fdu,df->du", Xe[cols], W)
        base = full_scores - contribution
        perm_ap = np.empty((n_perm, len(e)))
        for b in range(n_perm):
            perm_ap[b] = ap_per_day(base + rng.permuted(contribution, axis=1), pos, val)
        for (kind, label), where in periods.items():
            ok = np.isfinite(full[where])
            perm_means = np.nanmean(perm_ap[:, where][:, ok], axis=1) if ok.any() else np.array([])
            summary = _summary(full[where], without[where], perm_means, rng, n_boot)
            if summary:
                rows.append({"period_type": kind, "period": label, "medium": medium, **summary})
    return pd.DataFrame(rows)


def market_influence(X: np.ndarray, turbulent: np.ndarray, days: np.ndarray, fit: RollingFit,
                     media: dict[str, tuple[str, ...]], *, n_perm: int = 99, n_boot: int = 1000,
                     seed: int = 0) -> pd.DataFrame:
    """Influence per (period, medium) of market-wide media: drop in AP, over the period's days, of
    turbulent-day prediction without the medium; p from permuting the medium across those days."""
    rng = np.random.default_rng(seed)
    e = fit.eval_days
    if not len(e):
        return pd.DataFrame()
    Xe = X[:, e]                                     # (F, n_eval, 1)
    y = turbulent[e]
    full_s = linear_scores(Xe, fit.coef["full"])[:, 0]
    rows = []
    for medium, names in media.items():
        cols = [fit.names.index(n) for n in names]
        red_s = linear_scores(Xe, fit.coef[medium])[:, 0]
        contribution = np.einsum("fd,df->d", Xe[cols][:, :, 0], fit.coef["full"][:, cols])
        for (kind, label), where in periods_of(days[e]).items():
            lab = y[where]
            if lab.sum() == 0 or lab.sum() == len(lab):
                continue
            f, r = ap_rows(full_s[where][None], lab[None])[0], ap_rows(red_s[where][None], lab[None])[0]
            c = contribution[where]
            perm_idx = np.argsort(rng.random((n_perm, len(where))), axis=1)
            perm = ap_rows(full_s[where][None] - c[None] + c[perm_idx], np.broadcast_to(lab, perm_idx.shape))
            bi = block_indices(len(where), n_boot, rng)
            lb = lab[bi]
            drop = ap_rows(full_s[where][bi], lb) - ap_rows(red_s[where][bi], lb)
            drop = drop[np.isfinite(drop)]
            rows.append({"period_type": kind, "period": label, "medium": medium,
                         "influence": float(f - r),
                         "ci_low": float(np.quantile(drop, 0.025)) if len(drop) else float(f - r),
                         "ci_high": float(np.quantile(drop, 0.975)) if len(drop) else float(f - r),
                         "p_value": float((1 + np.sum(perm >= f - 1e-12)) / (n_perm + 1)),
                         "pr_auc_full": float(f), "pr_auc_without": float(r), "n_days": int(len(where))})
    return pd.DataFrame(rows)


def rank_within(frame: pd.DataFrame) -> pd.Series:
    """1 = most influential within (period_type, period, clock, scope)."""
    return frame.groupby(["period_type", "period", "clock", "scope"])["influence"].rank(
        ascending=False, method="first").astype(int)
