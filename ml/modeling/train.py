"""Fitting: the daily lift with its hypergeometric test, and the rolling out-of-sample logistic
regressions (full model and one without each medium) that the influence scores come from."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import hypergeom

from ml.features import MARKET_WINDOW


def daily_lift(active: np.ndarray, top: np.ndarray, valid: np.ndarray) -> pd.DataFrame:
    """Per day: lift of top-10 membership among active stocks over the base rate, and the
    hypergeometric p-value P(X >= k) of drawing k top movers in n active stocks out of N valid
    stocks holding K top movers."""
    a, t = active & valid, top & valid
    n_universe = valid.sum(axis=1)
    n_top, n_active = t.sum(axis=1), a.sum(axis=1)
    n_top_active = (a & t).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = np.where(n_universe > 0, n_top / n_universe, np.nan)
        lift = np.where(n_active > 0, (n_top_active / n_active) / base, np.nan)
    p = hypergeom.sf(n_top_active - 1, n_universe, n_top, n_active)
    p = np.where(n_active > 0, np.clip(p, 0.0, 1.0), 1.0)
    return pd.DataFrame({"n_universe": n_universe, "n_top": n_top, "n_active": n_active,
                         "n_top_active": n_top_active, "base_rate": base, "lift": lift, "p_value": p})


def market_daily_lift(active: np.ndarray, turbulent: np.ndarray,
                      window: int = MARKET_WINDOW) -> pd.DataFrame:
    """The daily lift for a market-wide medium: units are the trailing ``window`` trading days
    ending at each day; "top" days are turbulent days, "active" days those with an abnormal move."""
    n = len(active)
    a = np.cumsum(np.concatenate([[0], active.astype(int)]))
    t = np.cumsum(np.concatenate([[0], turbulent.astype(int)]))
    at = np.cumsum(np.concatenate([[0], (active & turbulent).astype(int)]))
    end = np.arange(1, n + 1)
    start = np.maximum(end - window, 0)
    N, K, A, k = end - start, t[end] - t[start], a[end] - a[start], at[end] - at[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        base = K / N
        lift = np.where(A > 0, (k / A) / base, np.nan)
    p = np.where(A > 0, np.clip(hypergeom.sf(k - 1, N, K, A), 0.0, 1.0), 1.0)
    return pd.DataFrame({"n_universe": N, "n_top": K, "n_active": A, "n_top_active": k,
                         "base_rate": base, "lift": lift, "p_value": p})


def fit_logistic(X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                 max_negatives_per_positive: int = 20, C: float = 1.0,
                 nonnegative: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression on standardised features (scikit-learn's
    ``LogisticRegression(C=C)`` objective: the intercept is not penalised); returns (coef,
    intercept) in the original units. Negatives beyond ``max_negatives_per_positive`` per positive
    are subsampled at random (case-control sampling moves the intercept only, so within-day
    rankings are unchanged).

    ``nonnegative`` (bool per feature): those coefficients are held at or above 0 (L-BFGS-B
    bounds; scikit-learn's solvers take none). A medium is credited only for raising the chance of
    a big move: unconstrained, posts that follow a jump earned predictive "influence" with a
    negative weight, by marking that the jump inflating a stock's volatility control was a one-off
    (docs/BENCHMARKS.md, answer soundness)."""
    pos = np.flatnonzero(y)
    neg = np.flatnonzero(~y)
    cap = max_negatives_per_positive * max(len(pos), 1)
    if len(neg) > cap:
        neg = rng.choice(neg, size=cap, replace=False)
    rows = np.concatenate([pos, neg])
    Xs, ys = X[rows].astype(np.float64), y[rows].astype(np.float64)
    mu, sd = Xs.mean(axis=0), Xs.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Z = (Xs - mu) / sd
    F = Z.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = Z @ w[:F] + w[F]
        nll = np.logaddexp(0.0, z) - ys * z
        g = expit(z) - ys
        grad = np.empty(F + 1)
        grad[:F] = w[:F] + C * (Z.T @ g)
        grad[F] = C * g.sum()
        return 0.5 * float(w[:F] @ w[:F]) + C * float(nll.sum()), grad

    held = np.zeros(F, dtype=bool) if nonnegative is None else np.asarray(nonnegative, dtype=bool)
    bounds = [(0.0 if h else None, None) for h in held] + [(None, None)]     # the intercept is free
    res = minimize(loss, np.zeros(F + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 500, "gtol": 1e-6})
    coef = res.x[:F] / sd
    return coef, float(res.x[F] - (coef * mu).sum())


@dataclass
class RollingFit:
    """Per-day coefficients of the model fitted in each day's training window."""

    names: list[str]                  # feature names, in column order
    eval_days: np.ndarray             # indexes of days scored out of sample
    coef: np.ndarray                  # (n_eval, F + 1), intercept last
    train_days: int                   # the window length used


def schedule(n_days: int, window: int, min_train: int, step: int):
    """(train day indexes, eval day indexes) of each refit: train on up to ``window`` days before
    the refit day, evaluate on the ``step`` days from it. Refit days count from the panel's first
    day, so days added at the end change no earlier refit."""
    for k in range(min_train, n_days, step):
        yield np.arange(max(0, k - window), k), np.arange(k, min(k + step, n_days))


def rolling_fit(X: np.ndarray, y: np.ndarray, valid: np.ndarray, names: list[str], *,
                window: int = 250, min_train: int = 60, step: int = 21, seed: int = 0,
                nonnegative: tuple[str, ...] = ()) -> RollingFit:
    """Refit on a rolling window and keep each eval day's coefficients; the features named in
    ``nonnegative`` (the media) keep coefficients >= 0 (:func:`fit_logistic`).

    ``X`` is (F, days, units), ``y`` and ``valid`` (days, units); units are stocks, or one market
    per day for market-wide media (units = 1). Each refit draws its negatives from a generator
    seeded by (seed, refit day), so a refit does not depend on the ones before or after it."""
    F = len(names)
    held = np.isin(names, list(nonnegative))
    evals, coef = [], []
    for train, test in schedule(X.shape[1], window, min_train, step):
        mask = valid[train]
        Xt = X[:, train][:, mask].T
        yt = y[train][mask]
        if yt.sum() < 2 or (~yt).sum() < 2:
            continue
        w = np.zeros(F + 1)
        w[:F], w[F] = fit_logistic(Xt, yt, np.random.default_rng([seed, int(test[0])]), nonnegative=held)
        coef.append(np.repeat(w[None, :], len(test), axis=0))
        evals.append(test)
    if not evals:
        return RollingFit(names, np.array([], dtype=int), np.zeros((0, F + 1)), window)
    return RollingFit(names, np.concatenate(evals), np.concatenate(coef), window)


def pca_summary(X: np.ndarray, valid: np.ndarray, names: list[str], n_components: int = 3) -> list[dict]:
    """Principal components of standardised stock-day media features (a summary of shared
    variance, not a measure of influence): component, explained_variance_ratio, loadings, n_rows."""
    from sklearn.decomposition import PCA

    rows = X[:, valid].T.astype(np.float64)
    if len(rows) < 3:
        return []
    sd = rows.std(axis=0)
    keep = sd > 0
    if not keep.any():
        return []
    z = (rows[:, keep] - rows[:, keep].mean(axis=0)) / sd[keep]
    k = min(n_components, int(keep.sum()))
    pca = PCA(n_components=k, svd_solver="full").fit(z)
    kept = [n for n, ok in zip(names, keep) if ok]
    return [{"component": i + 1, "explained_variance_ratio": float(pca.explained_variance_ratio_[i]),
             "loadings": {n: round(float(w), 4) for n, w in zip(kept, pca.components_[i])},
             "n_rows": int(len(z))} for i in range(k)]
