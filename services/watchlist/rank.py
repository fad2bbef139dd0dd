"""The pre-open watchlist: rank every stock on its overnight media with the ML worker's predictive
model, before day D's 09:00 KST open.

Nothing here is a second feature pipeline: the frames are read with ``ml.dataset``'s loaders,
bounded at D's open, and turned into features by ``ml.features.build_panel`` with D added as a
day without prices yet (so D's predictive window -- the previous close to D's open -- is built
exactly as the scorer builds it). The model is the scorer's logistic regression
(``ml.modeling.train.fit_logistic``) fitted on the predictive clock's features of the trading days
before D, top-10 membership as the outcome.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import dataset
from ml.features import CLOSE_UTC, CONTROLS, OPEN_UTC, STOCK_MEDIA, build_panel
from ml.modeling.train import fit_logistic
from ml.scoring import stock_tensor

MODEL = "logit-predictive"
NEGATIVES_PER_POSITIVE = 20   # fit_logistic's case-control cap: the intercept is corrected for it


@dataclass(frozen=True)
class Watchlist:
    """The ranked list of one day and what it was made from."""

    trade_date: dt.date
    rows: pd.DataFrame        # rank, code, name, score, probability, reasons
    n_ranked: int
    data_until: dt.datetime   # D's open (UTC): nothing stamped at or after it was read
    model: str
    caveats: tuple[str, ...] = ()   # what the list may miss (a failed last pass), said wherever it goes


def open_utc(day: dt.date) -> dt.datetime:
    """D's 09:00 KST open as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc) + OPEN_UTC.to_pytimedelta()


def load_overnight(conn, day: dt.date, history_days: int) -> dict[str, pd.DataFrame]:
    """build_panel's frames from ``history_days`` trading days before ``day`` up to day's open;
    ``day`` itself gets one halted placeholder price row per stock traded on the last day."""
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT trade_date FROM if_stock_daily_price WHERE trade_date < %s "
                    "ORDER BY 1 DESC LIMIT %s", (day, history_days + 25))
        earlier = [r[0] for r in cur.fetchall()]
    if not earlier:
        raise ValueError(f"no daily prices before {day}: nothing to rank on")
    first, last = min(earlier), max(earlier)
    until = open_utc(day)
    since = dt.datetime.combine(first - dt.timedelta(days=5), dt.time(), dt.timezone.utc)
    prices = dataset.load_prices(conn, first, last)
    listed = prices.loc[prices["trade_date"] == pd.Timestamp(last), "code"].unique()
    placeholder = pd.DataFrame({"code": listed, "trade_date": pd.Timestamp(day), "open": np.nan,
                                "close": np.nan, "volume": 0, "halted": 1})
    return dict(prices=pd.concat([prices, placeholder], ignore_index=True),
                stocks=dataset.load_stocks(conn),
                board=dataset.load_board(conn, since, until),
                news=dataset.load_news(conn, first - dt.timedelta(days=5), day - dt.timedelta(days=1)),
                events=dataset.load_financial_events(conn, since, until),
                fear_greed=dataset.load_fear_greed(conn, first - dt.timedelta(days=10), last),
                fx=dataset.load_fx(conn, first - dt.timedelta(days=10), last))


def _reason_detail(medium: str, feats: dict[str, float], posts: int) -> str:
    if medium == "board":
        return f"{posts} board posts overnight, {np.exp(feats['board_abnormal']):.1f}x the usual"
    if medium == "news":
        return f"named in ranked news (weight {np.expm1(feats['news_score']):.2f})"
    new, rev = np.expm1(feats["financial_new"]), np.expm1(feats["financial_revision"])
    return f"{new:.0f} new statement(s), {rev:.0f} estimate revision(s)"


def rank(frames: dict[str, pd.DataFrame], day: dt.date, *, top: int = 10, window: int = 250,
         seed: int = 0) -> Watchlist:
    """Rank every stock traded on the last session before ``day`` by the predictive model's
    probability of being among ``day``'s top 10 movers; keep the ``top`` first with reasons."""
    panel = build_panel(**frames)
    if panel.days[-1] != np.datetime64(day, "D"):
        raise ValueError(f"the panel does not end on {day}")
    X, names = stock_tensor(panel, "predictive")
    d = len(panel.days) - 1
    train = np.arange(max(0, d - window), d)
    mask = panel.valid[train]
    Xt, yt = X[:, train][:, mask].T, panel.top[train][mask]
    if yt.sum() < 2 or (~yt).sum() < 2:
        raise ValueError(f"too little history before {day} to fit the model ({int(yt.sum())} movers)")
    coef, intercept = fit_logistic(Xt, yt, np.random.default_rng(seed),
                                   max_negatives_per_positive=NEGATIVES_PER_POSITIVE)
    kept = min(1.0, NEGATIVES_PER_POSITIVE * yt.sum() / (~yt).sum())
    intercept += float(np.log(kept))       # undo the negatives' subsampling for probabilities
    today = X[:, d, :].T.astype(np.float64)                  # (stocks, F)
    logit = today @ coef + intercept
    prob = 1.0 / (1.0 + np.exp(-logit))
    # traded in the last session and listed (an index code such as KOSDAQ also has 6 characters)
    universe = panel.valid[d - 1] & np.isin(panel.codes, frames["stocks"]["code"].to_numpy())
    order = [i for i in np.argsort(-logit, kind="stable") if universe[i]][:top]
    mean = Xt.mean(axis=0)
    posts = _overnight_posts(frames["board"], panel.days)
    names_of = frames["stocks"].set_index("code")["name"].to_dict()
    rows = []
    for position, i in enumerate(order, start=1):
        feats = {n: float(today[i, k]) for k, n in enumerate(names)}
        reasons = []
        for medium, cols in STOCK_MEDIA.items():
            idx = [names.index(c) for c in cols]
            contribution = float((coef[idx] * (today[i, idx] - mean[idx])).sum())
            reasons.append({"medium": medium, "contribution": round(contribution, 4),
                            "detail": _reason_detail(medium, feats, posts.get(panel.codes[i], 0))})
        idx = [names.index(c) for c in CONTROLS]                # not media: said so, not hidden
        reasons.append({"medium": "controls", "contribution": round(float(
            (coef[idx] * (today[i, idx] - mean[idx])).sum()), 4),
            "detail": f"not media: yesterday's move {feats['lag_r']:+.1%}, 20-day volatility "
                      f"{feats['lag_volatility']:.1%}"})
        reasons.sort(key=lambda r: -r["contribution"])
        rows.append({"rank": position, "code": str(panel.codes[i]), "name": names_of.get(panel.codes[i]),
                     "score": float(logit[i]), "probability": float(prob[i]), "reasons": reasons})
    return Watchlist(day, pd.DataFrame(rows), int(universe.sum()), open_utc(day),
                     f"{MODEL}-{len(train)}d")


def _overnight_posts(board: pd.DataFrame, days: np.ndarray) -> dict[str, int]:
    """Posts per code stamped in the last day's predictive window (previous close to open)."""
    if len(days) < 2 or board.empty:
        return {}
    start = days[-2].astype("datetime64[ns]") + CLOSE_UTC.to_timedelta64()
    stamps = board["posted_at"].to_numpy().astype("datetime64[ns]")
    return board.loc[stamps >= start, "code"].value_counts().to_dict()
