"""Scoring out of sample, one test per medium and period: per-day average precision of the rolling
model against the same model with the medium's contribution permuted (across stocks within each
day) or circularly shifted (market media, across days); influence, p and CI all come from that one
comparison (:func:`claim`)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ml.modeling.train import RollingFit

BLOCK_DAYS = 5            # stock media: days are the units, nearly independent
MARKET_BLOCK_DAYS = 10    # market media: one autocorrelated series
Z95 = float(norm.ppf(0.975))
#: The smallest p reported: the normal approximation is not trusted past ~5 standard deviations of
#: 99 permutation draws, so anything below reads "below 1e-6" (Holm over 120 tests still passes it).
P_FLOOR = 1e-6
#: A null with at least this many draws lends its normal tail to a statistic beyond every draw
#: (below the empirical floor 1 / (draws + 1)); a shorter null (a month's ~21 circular shifts, a
#: quick run's 39 permutations) never does: a statistic beyond all of 39 draws happens 1 time in
#: 40 under the null, and a tail fitted to 39 draws is too rough to say how far beyond.
TAIL_DRAWS = 99
CYCLE_MIN = 30            # stock groups this large keep their draws through daily churn (a cycle)
MARKET_SHIFTS = 999       # market media: every circular shift up to this many (a year has ~250)
MIN_DAYS = 5              # a period with fewer out-of-sample days is not scored (no claim on 2 days)


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


def period_key(kind: str, label: str) -> int:
    """A stable integer of a period for seeding its draws: 2025 -> 12025, 2025-03 -> 202503."""
    return int(label.replace("-", "")) + (10_000 if kind == "year" else 0)


def claim(stat: float, null: np.ndarray, boot: np.ndarray) -> dict:
    """Influence, 95% CI and p of one medium-period from one test.

    ``stat``: the observed statistic (AP of the full model minus the mean AP with the medium's
    contribution permuted or shifted); ``null``: that statistic's draws under the null, centred
    (their spread is the statistic's sampling spread when the medium does nothing); ``boot``:
    block-bootstrap draws of the statistic. p is one-sided (the medium helps): the empirical
    (1 + draws >= stat) / (1 + draws), or the normal approximation of the null draws where that is
    larger; only a statistic beyond every draw of a null of at least ``TAIL_DRAWS`` takes the
    normal tail below the empirical floor (99 draws stop at 0.01, and Holm over 12 tests needs
    0.004), floored at ``P_FLOOR``. So at any level above 1 / (draws + 1) the decision is the
    permutation test's own (the normal approximation alone rejected a persistent null 7.5% of the
    time at 5%; tests/ml/test_modeling.py). The CI is the wider of the bootstrap percentile
    interval and the test inverted under a shift (stat +- 1.96 sd of the null, and stat minus the
    null's 2.5% / 97.5% quantiles), so it excludes 0 only where the test rejects at 2.5% one-sided
    (where it does not, e.g. a p that cannot go below 1 / 22 on a month of 21 shifts, the interval
    is widened to 0): influence, CI and p cannot disagree."""
    sd = float(np.std(null, ddof=1)) if len(null) > 1 else 0.0
    p = float(norm.sf(stat / sd)) if sd > 0 else 1.0
    beyond = int(np.sum(null >= stat - 1e-12))
    empirical = (1 + beyond) / (1 + len(null))
    p = min(p, empirical) if beyond == 0 and len(null) >= TAIL_DRAWS else max(p, empirical)
    lo, hi = stat - Z95 * sd, stat + Z95 * sd
    if len(null) > 1:                                 # the empirical null inverted as well
        lo, hi = min(lo, stat - float(np.quantile(null, 0.975))), max(hi, stat - float(np.quantile(null, 0.025)))
    if len(boot):
        lo, hi = min(lo, float(np.quantile(boot, 0.025))), max(hi, float(np.quantile(boot, 0.975)))
    if p >= 0.025:                   # a test too coarse to reject at 2.5% (e.g. 21 shifts) claims no sign
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return {"influence": float(stat), "ci_low": lo, "ci_high": hi, "p_value": min(max(p, P_FLOOR), 1.0)}


def ap_fixed_positives(scores: np.ndarray, pos_idx: np.ndarray) -> np.ndarray:
    """Average precision of each row of ``scores`` (rows: permutations of one day) whose positives
    are the columns ``pos_idx``; ties count at their mean position, as in :func:`ap_per_day`."""
    sp = scores[:, pos_idx]
    greater = (scores[:, None, :] > sp[:, :, None]).sum(axis=2)
    equal = (scores[:, None, :] == sp[:, :, None]).sum(axis=2)
    rank = np.sort(greater + (equal + 1) / 2.0, axis=1)
    return (np.arange(1, len(pos_idx) + 1)[None, :] / rank).mean(axis=1)


def identity_orders(identities: np.ndarray, n_perm: int, seed: int, stream: int,
                    medium: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent random orders of the stock columns per draw, each (n_perm, stocks): column
    indexes sorted by keys drawn from each stock's own identity (``identities``: one int per
    column, e.g. from the code). The order of any set of stocks is the same whichever other stocks
    the panel holds, so a later month's new listings change no earlier draw."""
    keys = np.empty((2, n_perm, len(identities)))
    for j, ident in enumerate(identities):
        keys[:, :, j] = np.random.default_rng([seed, stream, medium, int(ident)]).random((2, n_perm))
    return np.argsort(keys[0], axis=1, kind="stable"), np.argsort(keys[1], axis=1, kind="stable")


def persistent_permutations(orders: tuple[np.ndarray, np.ndarray], v: np.ndarray, groups: np.ndarray | None,
                            n_stocks: int) -> np.ndarray:
    """(n_perm, len(v)) permutations of a day's valid stocks ``v`` (column indexes), each position
    moved only within its group (``groups``: one int per position; None: one group), that keep a
    draw's stock identities from day to day, so a stock that posts a lot every day lends its posts
    to the same other stock every day: the null keeps a medium's per-stock persistence, and with it
    the medium's chance correlation with a stock's persistent volatility, which a day-by-day shuffle
    destroys (it treats the days as independent).

    A group of at least ``CYCLE_MIN`` stocks: each stock takes the contribution of the next member
    in draw k's first order (cyclically). A stock entering or leaving the group (a filing that day,
    a halt) changes only its neighbour's partner, so the draw stays the same for the rest of the
    group through daily churn. That is a random cycle, never a fixed point; a uniform permutation
    fixes 1 / size of the stocks, which a large group does not miss. A smaller group (a day's few
    filers) takes a uniform permutation instead: its i-th member in the first order takes the
    contribution of its i-th in the second (the same on days with the same members)."""
    first, second = orders
    n_perm = len(first)
    position = np.full(n_stocks, -1, dtype=np.int64)
    position[v] = np.arange(len(v))
    idx = np.empty((n_perm, len(v)), dtype=np.int64)
    rows = np.arange(n_perm)[:, None]
    labels = np.zeros(len(v), dtype=np.int64) if groups is None else groups
    for g in np.unique(labels):
        member = np.zeros(n_stocks, dtype=bool)
        member[v[labels == g]] = True
        takers = first[member[first]].reshape(n_perm, -1)      # the group's stocks in each draw's order
        if takers.shape[1] >= CYCLE_MIN:
            givers = np.roll(takers, -1, axis=1)
        else:
            givers = second[member[second]].reshape(n_perm, -1)
        idx[rows, position[takers]] = position[givers]
    return idx


def stock_influence(X: np.ndarray, top: np.ndarray, valid: np.ndarray, days: np.ndarray,
                    fit: RollingFit, media: dict[str, tuple[str, ...]], *, n_perm: int = 99,
                    n_boot: int = 1000, seed: int = 0, stream: int = 0, strata: np.ndarray | None = None,
                    unconditional: tuple[str, ...] = (), kinds: np.ndarray | None = None,
                    identities: np.ndarray | None = None) -> pd.DataFrame:
    """Influence per (period, medium) of stock-level media, one test each: the mean per-day AP of
    top-10 membership under the fitted model minus its mean with the medium family's contribution
    permuted across the day's valid stocks. Permutation k moves stock identities the same way on every
    day (:func:`persistent_permutations`; each stock's place in draw k comes from (seed, ``stream``,
    medium, its ``identities`` value), so a day's draws do not depend on the other days or stocks
    scored). A day-by-day shuffle would treat the days as independent; a medium that is persistent
    per stock (a board's usual post rate) then ranks the same stocks all year, and its chance
    correlation with their persistent volatility passed as influence (13.5% of null worlds at 5%).
    ``pr_auc_without`` is that permuted mean.

    ``strata`` (days x stocks ints, e.g. "filed a disclosure in this window"): a medium not in
    ``unconditional`` is permuted only among the day's stocks of the same stratum (a conditional
    permutation), so the part of its contribution that only repeats the stratum stays in the null
    and is not credited: a board burst that echoes a filing adds nothing beyond the filing. One
    stratum (or None) is the unconditional test, draw for draw.

    ``kinds`` (days x stocks ints, e.g. security type): every medium, ``unconditional`` ones too, is
    permuted only among the day's securities of the same kind. A medium only companies can have (a
    filing, a news mention) would otherwise be moved onto ETFs in the null, and the model's "is a
    company" part of it credited as the medium's influence."""
    e = fit.eval_days
    if not len(e):
        return pd.DataFrame()
    Xe, pos, val = X[:, e], top[e], valid[e]
    full_scores = linear_scores(Xe, fit.coef)
    full = ap_per_day(full_scores, pos, val)
    periods = periods_of(days[e])
    rows = []
    for m, (medium, names) in enumerate(media.items()):
        cols = [fit.names.index(n) for n in names]
        contribution = np.einsum("fdu,df->du", Xe[cols], fit.coef[:, cols])
        base = full_scores - contribution
        perm_ap = np.full((n_perm, len(e)), np.nan)
        orders = identity_orders(identities if identities is not None else np.arange(X.shape[2]),
                                 n_perm, seed, stream, m)
        for d in np.flatnonzero(np.isfinite(full)):
            v = np.flatnonzero(val[d])
            groups = strata[e][d, v].astype(np.int64) if strata is not None and medium not in unconditional \
                else None
            if kinds is not None:
                groups = kinds[e][d, v].astype(np.int64) * 16 + (0 if groups is None else groups)
            idx = persistent_permutations(orders, v, groups, X.shape[2])
            scores = base[d, v][None, :] + contribution[d, v][idx]
            perm_ap[:, d] = ap_fixed_positives(scores, np.flatnonzero(pos[d, v]))
        for (kind, label), where in periods.items():
            ok = where[np.isfinite(full[where])]
            if len(ok) < MIN_DAYS:
                continue
            perm = perm_ap[:, ok]
            drop = full[ok] - perm.mean(axis=0)
            rng = np.random.default_rng([seed, period_key(kind, label), stream, m])
            boot = drop[block_indices(len(drop), n_boot, rng)].mean(axis=1)
            null = perm.mean(axis=1) - perm.mean()
            rows.append({"period_type": kind, "period": label, "medium": medium,
                         **claim(float(drop.mean()), null, boot),
                         "pr_auc_full": float(full[ok].mean()), "pr_auc_without": float(perm.mean()),
                         "n_days": int(len(ok))})
    return pd.DataFrame(rows)


def circular_shifts(n: int, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """Non-zero circular shifts of a series of ``n`` days: all of them, or ``n_perm`` drawn."""
    shifts = np.arange(1, n)
    return shifts if len(shifts) <= n_perm else np.sort(rng.choice(shifts, size=n_perm, replace=False))


def market_influence(X: np.ndarray, turbulent: np.ndarray, days: np.ndarray, fit: RollingFit,
                     media: dict[str, tuple[str, ...]], *, n_perm: int = 99, n_boot: int = 1000,
                     seed: int = 0, stream: int = 0) -> pd.DataFrame:
    """Influence per (period, medium) of market-wide media, one test each: AP over the period's
    days of turbulent-day prediction under the fitted model minus its mean with the medium's
    contribution circularly shifted against the days (a null that keeps both series' own
    autocorrelation: market units are few and not independent; every shift is used, up to
    ``MARKET_SHIFTS``, so a year of 250 scored days resolves p down to 0.004). CI: moving-block bootstrap of
    ``MARKET_BLOCK_DAYS``-day blocks of the same statistic (19 shifts per draw), widened to the
    inverted test (:func:`claim`)."""
    e = fit.eval_days
    if not len(e):
        return pd.DataFrame()
    Xe = X[:, e]                                     # (F, n_eval, 1)
    y = turbulent[e]
    full_s = linear_scores(Xe, fit.coef)[:, 0]
    rows = []
    for m, (medium, names) in enumerate(media.items()):
        cols = [fit.names.index(n) for n in names]
        contribution = np.einsum("fd,df->d", Xe[cols][:, :, 0], fit.coef[:, cols])
        base = full_s - contribution
        for (kind, label), where in periods_of(days[e]).items():
            lab = y[where]
            if lab.sum() == 0 or lab.sum() == len(lab) or len(where) < MIN_DAYS:
                continue
            n = len(where)
            rng = np.random.default_rng([seed, period_key(kind, label), stream, m])
            shifts = circular_shifts(n, max(n_perm, MARKET_SHIFTS), rng)
            shifted = (np.arange(n)[None, :] + shifts[:, None]) % n
            c, b, f_s = contribution[where], base[where], full_s[where]
            perm_scores = b[None, :] + c[shifted]
            perm = ap_rows(perm_scores, np.broadcast_to(lab, perm_scores.shape))
            f = ap_rows(f_s[None], lab[None])[0]
            some = perm_scores[:19]
            bi = block_indices(n, n_boot, rng, block=MARKET_BLOCK_DAYS)
            lb = lab[bi]
            boot_full = ap_rows(f_s[bi], lb)
            boot = boot_full - np.mean([ap_rows(s[bi], lb) for s in some], axis=0)
            boot = boot[np.isfinite(boot)]             # draws with no turbulent day have no AP
            rows.append({"period_type": kind, "period": label, "medium": medium,
                         **claim(float(f - perm.mean()), perm - perm.mean(), boot),
                         "pr_auc_full": float(f), "pr_auc_without": float(perm.mean()), "n_days": int(n)})
    return pd.DataFrame(rows)


def rank_within(frame: pd.DataFrame) -> pd.Series:
    """1 = most influential within (period_type, period, clock, scope) among the rows with
    ``significant`` True; None for the others (a medium that did not pass is not ranked)."""
    sig = frame[frame["significant"]]
    ranks = sig.groupby(["period_type", "period", "clock", "scope"])["influence"].rank(
        ascending=False, method="first")
    return ranks.reindex(frame.index).astype("Int64")
