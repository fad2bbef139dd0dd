"""Synthetic worlds written independently of the project's simulator (services/replay), for
calibration and power of the scorer: the frames ``build_panel`` takes (what the loaders return),
with planting mechanisms of their own.

Background: stocks with their own volatility (t-distributed open->close returns), Poisson board
posts at a stock-specific rate, a daily 50-title news ranking naming random companies, random
financial events, an autocorrelated Fear & Greed score and a random-walk FX rate, and the KOSPI /
KOSDAQ index rows in the price table (they must never count as stocks). About 10% of the securities
are ETFs (their own generator): calmer (0.45x the returns), never named in news, never filing, never
publishing, never caused: media only companies have, as on the real market.

Planting (``Plant``), each a mechanism the simulator does not use:
- ``board_buzz``: ~``per_day`` stocks a day get x``mult`` their usual posts in the night before the
  open of day D - ``lag`` + 1 (``lag`` 1: the night before D; 2: before D - 1; 0: the night after
  D, i.e. posts after the move); each jumps 10-25% on D with probability ``q`` (``small_only``:
  buzz only on stocks below the median size);
- ``news_top``: ~``per_day`` stocks a day are named in ranks 1-5 of the ranking dated D - ``lag``;
  each jumps on D with probability ``q`` (mentions in ranks 6-50 are background and do nothing);
- ``financial``: ~``per_day`` stocks a day publish an event in the night before D; each jumps with
  probability ``q``;
- ``fear_greed``: the score moves 15-25 points on ~1 day in 8; with probability ``q`` the next
  session is turbulent (a third of the stocks move 10-20%);
- ``disclosure``: ~``per_day`` stocks a day file a supply contract after the close (15:30-20:00 KST)
  of the session before D; each jumps on D with probability ``q`` (the simulator plants filings
  before the open and during the session, never after the close).

Background disclosures (every world, from a generator of their own so the other media of a seed do
not change with them): ~0.1 filings a stock a session at random hours from 15 h before the open to 8
h after it, 70% routine (``other``, ``earnings_periodic``), the rest of the material types; no effect.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

KST = pd.Timedelta(hours=9)


@dataclass(frozen=True)
class Plant:
    kind: str = "none"        # none | board_buzz | news_top | financial | fear_greed | disclosure
    q: float = 0.0            # probability that a caused stock (day) jumps
    lag: int = 1              # sessions between the media and the jump
    per_day: float = 2.8      # caused stocks a day (Poisson mean)
    mult: float = 8.0         # board: posts x mult
    small_only: bool = False


def business_days(start: dt.date, n: int) -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n)


def make_world(seed: int, plant: Plant = Plant(), stocks: int = 300, sessions: int = 183,
               start: dt.date = dt.date(2025, 1, 2)) -> tuple[dict[str, pd.DataFrame], dict]:
    """(frames for ``build_panel``, truth): truth has ``caused`` ((day index, stock index) pairs of
    the planted media events) and ``jumped`` (those that moved) and ``codes``."""
    rng = np.random.default_rng(seed)
    days = business_days(start, sessions)
    codes = np.array([f"{100000 + 7 * i:06d}" for i in range(stocks)])
    names = np.array([f"가{i:03d}전자" for i in range(stocks)])
    S, D = stocks, sessions
    vol = np.exp(rng.normal(np.log(0.02), 0.35, S))
    r = vol[None, :] * rng.standard_t(4, size=(D, S)) / np.sqrt(2)
    cap = np.exp(rng.normal(np.log(3e11), 1.2, S))
    small = cap < np.median(cap)
    rate = np.exp(rng.normal(np.log(2.0), 0.9, S))       # posts per night per stock
    etf = np.random.default_rng([seed, 17]).random(S) < 0.1   # baskets: calmer, no filings, no news
    r[:, etf] *= 0.45
    companies = np.flatnonzero(~etf)
    caused, jumped = [], []

    def jump(d: int, s: int, q: float):
        caused.append((d, s))
        if d < D and rng.random() < q:
            r[d, s] = rng.choice([-1, 1]) * rng.uniform(0.10, 0.25)
            jumped.append((d, s))

    # --- board: counts per (day, window); window 0 = night before the open, 1 = the session
    counts = rng.poisson(np.stack([rate * 1.0, rate * 0.6])[:, None, :].repeat(D, axis=1))  # (2, D, S)
    news_rows = []
    events = []
    filings = []
    if plant.kind in ("board_buzz", "news_top", "financial", "disclosure"):
        pool = np.flatnonzero(small & ~etf) if plant.small_only else companies
        for d in range(D):
            for s in rng.choice(pool, size=min(rng.poisson(plant.per_day), len(pool)), replace=False):
                media_day = d - plant.lag + 1          # the night before this day's open
                if media_day < 1 or media_day >= D:    # lag 0 on the last day: its night is outside
                    continue
                if plant.kind == "board_buzz":
                    counts[0, media_day, s] = rng.poisson(rate[s] * plant.mult)
                elif plant.kind == "disclosure":
                    at = days[media_day - 1] + pd.Timedelta(hours=rng.uniform(15.5, 20.0))   # KST, after the close
                    filings.append((codes[s], at - KST, "supply_contract"))
                elif plant.kind == "news_top":
                    news_rows.append((days[d - plant.lag], "eco", int(rng.integers(1, 6)),
                                      f"{names[s]} 급등 기대감"))
                else:
                    at = days[media_day] - pd.Timedelta(hours=rng.uniform(1, 12))   # KST night
                    events.append((codes[s], at - KST, "new_statement"))
                jump(d, s, plant.q)
    # --- prices
    open_ = np.round(np.exp(rng.normal(np.log(20000), 1.0, S)))[None, :] * np.exp(
        np.cumsum(rng.normal(0, 0.01, (D, S)), axis=0))
    if plant.kind == "fear_greed":
        pass
    fg = np.clip(50 + np.cumsum(rng.normal(0, 3, D)) * 0.5, 5, 95)
    if plant.kind == "fear_greed":
        for d in range(1, D - 1):
            if rng.random() < 1 / 8:
                fg[d] = np.clip(fg[d - 1] + rng.choice([-1, 1]) * rng.uniform(15, 25), 0, 100)
                caused.append((d + 1, -1))
                if rng.random() < plant.q:
                    hit = rng.random(S) < 1 / 3
                    r[d + 1, hit] = rng.choice([-1, 1], hit.sum()) * rng.uniform(0.10, 0.20, hit.sum())
                    jumped.append((d + 1, -1))
    close = open_ * (1 + r)
    halted = rng.random((D, S)) < 0.002
    price = pd.DataFrame({
        "code": np.tile(codes, D), "trade_date": np.repeat(days, S),
        "open": np.where(halted, np.nan, open_).ravel(), "close": close.ravel(),
        "volume": rng.poisson(1e5, D * S).astype(float), "halted": halted.ravel().astype(int)})
    index = pd.DataFrame({"code": np.repeat(["KOSPI", "KOSDAQ"], D), "trade_date": np.tile(days, 2),
                          "open": 800.0, "close": 800.0 * (1 + rng.normal(0, 0.2, 2 * D)),  # huge |r|
                          "volume": 1e6, "halted": 0})
    prices = pd.concat([price, index], ignore_index=True)
    stock_frame = pd.DataFrame({"code": codes, "name": names, "market_cap": cap,
                                "security_type": np.where(etf, "etf", "stock")})
    # --- board posts: timestamps within each window (UTC, naive)
    posts = []
    for w, (lo, hi) in enumerate(((-17.5, 0.0), (0.0, 6.5))):
        d_idx, s_idx = np.nonzero(counts[w])
        n = counts[w][d_idx, s_idx]
        d_rep, s_rep = np.repeat(d_idx, n), np.repeat(s_idx, n)
        hours = rng.uniform(lo, hi, len(d_rep))
        posts.append(pd.DataFrame({"code": codes[s_rep],
                                   "posted_at": days[d_rep] + pd.to_timedelta(hours, unit="h"),
                                   "reactions": rng.poisson(2, len(d_rep)).astype(float)}))
    board = pd.concat(posts, ignore_index=True)
    # --- news: 50 ranks a calendar day, ~30% naming a random company (background)
    for day in pd.date_range(days[0] - pd.Timedelta(days=3), days[-1]):
        for rank in range(1, 51):
            named = rng.random() < 0.3
            news_rows.append((day, "eco", rank, f"{names[companies[rng.integers(len(companies))]]} 실적 발표" if named
                              else f"시장 동향 {rank}"))
    news = pd.DataFrame(news_rows, columns=["rank_date", "section", "rank", "title"])
    # --- background financial events: ~4 a stock in the period, at random hours
    n_ev = rng.poisson(4 * S)
    at = days[rng.integers(D, size=n_ev)] + pd.to_timedelta(rng.uniform(-15, 8, n_ev), unit="h")
    bg = pd.DataFrame({"code": codes[companies[rng.integers(len(companies), size=n_ev)]], "event_at": at,
                       "kind": rng.choice(["new_statement", "estimate_revision"], n_ev)})
    ev = pd.concat([bg, pd.DataFrame(events, columns=["code", "event_at", "kind"])], ignore_index=True)
    ev = ev.sort_values("event_at").reset_index(drop=True)
    fear_greed = pd.DataFrame({"as_of_date": days - pd.Timedelta(days=0), "score": fg})
    fx = pd.DataFrame({"rate_date": days, "rate": 1400 * np.exp(np.cumsum(rng.normal(0, 0.004, D)))})
    frames = dict(prices=prices, stocks=stock_frame, board=board, news=news, events=ev,
                  fear_greed=fear_greed, fx=fx, disclosures=background_filings(seed, days, codes[companies], filings))
    return frames, {"caused": caused, "jumped": jumped, "codes": codes}


ROUTINE_FILINGS = ("other", "earnings_periodic")
MATERIAL_FILINGS = ("earnings_preliminary", "capital_raise", "supply_contract", "shareholder_change",
                    "buyback", "inquiry_answer", "halt_warning")


def background_filings(seed: int, days: pd.DatetimeIndex, codes: np.ndarray, planted: list) -> pd.DataFrame:
    """The disclosures frame (code, disclosed_at naive UTC, event_type): background filings that move
    nothing (their own generator: ``seed`` alone decides them) plus the ``planted`` rows."""
    rng = np.random.default_rng([seed, 16])
    n = rng.poisson(0.1 * len(codes) * len(days))
    at = days[rng.integers(len(days), size=n)] + pd.to_timedelta(rng.uniform(-15, 8, n), unit="h")
    kind = np.where(rng.random(n) < 0.7, rng.choice(ROUTINE_FILINGS, n), rng.choice(MATERIAL_FILINGS, n))
    frame = pd.DataFrame({"code": codes[rng.integers(len(codes), size=n)], "disclosed_at": at, "event_type": kind})
    frame = pd.concat([frame, pd.DataFrame(planted, columns=["code", "disclosed_at", "event_type"])],
                      ignore_index=True)
    return frame.sort_values("disclosed_at").reset_index(drop=True)


def realised_lift(panel, truth: dict) -> float:
    """P(top 10 | caused) / P(top 10) over the caused (day, stock) pairs inside the panel."""
    pairs = [(d, s) for d, s in truth["caused"] if s >= 0 and d < len(panel.days)]
    if not pairs:
        return float("nan")
    col = {c: i for i, c in enumerate(panel.codes)}
    hits = [panel.top[d, col[truth["codes"][s]]] for d, s in pairs]
    base = panel.top[panel.valid].mean()
    return float(np.mean(hits) / base)
