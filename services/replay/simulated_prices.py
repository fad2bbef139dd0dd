"""Daily prices of the simulated market, with halts, ±30% limits and the planted top movers."""
from __future__ import annotations

import datetime as dt

import numpy as np

from services.replay.effects import EffectsConfig

LIMIT = 0.30


def tick_size(price: np.ndarray) -> np.ndarray:
    """KRX tick size (호가단위) for each price."""
    return np.select(
        [price < 2000, price < 5000, price < 20000, price < 50000, price < 200000, price < 500000],
        [1, 5, 10, 50, 100, 500], 1000).astype(np.float64)


def to_tick(price: np.ndarray) -> np.ndarray:
    t = tick_size(price)
    return np.maximum(np.round(price / t) * t, t)


def market_driver(cfg: EffectsConfig, krx_days: list[dt.date], fg: dict, fx: dict) -> np.ndarray:
    """Per trading day, the standardised market-wide driver (0 when no market medium is planted)."""
    z = np.zeros(len(krx_days))
    for effect in cfg.market_effects():
        if effect.medium == "fear_greed":
            days = [dt.date.fromisoformat(d) for d in fg["days"]]
            score = np.asarray(fg["score"])
            move = np.abs(np.diff(score, prepend=score[0]))
            pos = {d: i for i, d in enumerate(days)}
            vals = []
            for d in krx_days:
                if effect.lag == 0:
                    i = pos.get(d)
                else:
                    i = int(np.searchsorted(np.asarray(days, dtype="datetime64[D]"),
                                            np.datetime64(d), side="left")) - 1
                    i = i if i >= 0 else None
                vals.append(move[i] if i is not None else 0.0)
        else:
            rates = np.log(np.asarray(fx["rates"]["USD"]))
            move = np.abs(np.diff(rates, prepend=rates[0]))
            vals = [move[max(i - effect.lag, 0)] for i in range(len(krx_days))]
        v = np.asarray(vals, dtype=float)
        sd = v.std() or 1.0
        z += effect.strength * (v - v.mean()) / sd
    return z


def plan_movers(rng: np.random.Generator, cfg: EffectsConfig, stocks: list[dict],
                halted: np.ndarray, driver: np.ndarray) -> list[list[dict]]:
    """Pick each day's planted movers: which stock, which medium drives it (``none`` for an
    unexplained mover), sign and size; and the day's decoys (``decoy``: activity, no move)."""
    stock_fx = cfg.stock_effects()
    market_fx = cfg.market_effects()
    n_days = halted.shape[1]
    eligible = np.array([s["security_type"] == "stock" for s in stocks])
    weights = np.array([e.strength for e in stock_fx]) if stock_fx else np.array([])
    n_decoys = int(round(cfg.decoys * cfg.movers_per_day)) if stock_fx else 0
    plan: list[list[dict]] = []
    for t in range(n_days):
        if not stock_fx and not market_fx:
            plan.append([])
            continue
        n = cfg.movers_per_day
        if market_fx:
            n = int(round(n * float(np.clip(1 + 0.6 * driver[t], 0.25, 4.0))))
        pool = np.flatnonzero(eligible & ~halted[:, t])
        chosen = rng.choice(pool, size=min(n, len(pool)), replace=False) if n else []
        unexplained = set()
        if cfg.unexplained_movers and len(chosen):
            k = int(round(cfg.unexplained_movers * len(chosen)))
            unexplained = {int(i) for i in rng.choice(chosen, size=k, replace=False)}
        day = []
        for idx in sorted(int(i) for i in chosen):
            if stock_fx:
                effect = stock_fx[int(rng.choice(len(stock_fx), p=weights / weights.sum()))]
            else:
                effect = market_fx[0]
            size = min(0.29, effect.strength * (0.12 + abs(rng.normal(0, 0.03))))
            entry = {"index": idx, "medium": effect.medium, "lag": effect.lag,
                     "strength": effect.strength, "sign": 1 if rng.random() < 0.55 else -1,
                     "size": round(size, 4)}
            if idx in unexplained:
                entry.update(medium="none", lag=None)
            day.append(entry)
        if n_decoys:
            rest = np.setdiff1d(pool, np.asarray(chosen, dtype=int))
            for idx in sorted(int(i) for i in rng.choice(rest, size=min(n_decoys, len(rest)), replace=False)):
                effect = stock_fx[int(rng.choice(len(stock_fx), p=weights / weights.sum()))]
                day.append({"index": idx, "medium": effect.medium, "lag": effect.lag,
                            "strength": effect.strength, "sign": 1 if rng.random() < 0.55 else -1,
                            "size": 0.0, "decoy": True})
        plan.append(day)
    return plan


def draw_halts(rng: np.random.Generator, n_stocks: int, n_days: int) -> np.ndarray:
    """Boolean (stocks, days): trading halts in short runs, about 0.15% of stock-days."""
    halted = np.zeros((n_stocks, n_days), dtype=bool)
    starts = np.argwhere(rng.random((n_stocks, n_days)) < 0.0005)
    for s, d in starts:
        halted[s, d:d + int(rng.integers(1, 6))] = True
    return halted


def simulate_prices(rng: np.random.Generator, stocks: list[dict], halted: np.ndarray,
                    plan: list[list[dict]], driver: np.ndarray) -> dict[str, np.ndarray]:
    """OHLC, volume and foreign ratio arrays (stocks x days); planted movers get their open->close."""
    n, d = halted.shape
    etf = np.array([s["security_type"] == "etf" for s in stocks])
    vol = np.where(etf, 0.009, rng.uniform(0.012, 0.03, n))
    beta = np.where(etf, 1.0, rng.uniform(0.5, 1.4, n))
    base_volume = np.array([max(s["shares"] * 0.004, 1000.0) for s in stocks])
    foreign = np.where(etf, rng.uniform(0, 5, n), rng.beta(1.2, 5, n) * 60)
    prev = to_tick(np.array([s["first_price"] for s in stocks]))
    out = {k: np.zeros((n, d)) for k in ("open", "high", "low", "close", "foreign")}
    out["volume"] = np.zeros((n, d), dtype=np.int64)
    for t in range(d):
        disp = float(np.clip(1 + 0.25 * driver[t], 0.6, 2.5))
        mkt_gap, mkt = rng.normal(0, 0.004), rng.normal(0.0003, 0.009)
        gap = beta * mkt_gap + rng.normal(0, 0.004, n)
        oc = beta * mkt + vol * disp * rng.standard_t(4, n) / np.sqrt(2)
        for m in plan[t]:
            if not m.get("decoy"):
                oc[m["index"]] = m["sign"] * m["size"]
        up = np.floor(prev * (1 + LIMIT) / tick_size(prev * (1 + LIMIT))) * tick_size(prev * (1 + LIMIT))
        down = np.ceil(prev * (1 - LIMIT) / tick_size(prev * (1 - LIMIT))) * tick_size(prev * (1 - LIMIT))
        op = np.clip(to_tick(prev * np.exp(gap)), down, up)
        cl = np.clip(to_tick(op * (1 + oc)), down, up)
        hi = np.clip(to_tick(np.maximum(op, cl) * (1 + np.abs(rng.normal(0, 0.006, n)))), None, up)
        lo = np.clip(to_tick(np.minimum(op, cl) * (1 - np.abs(rng.normal(0, 0.006, n)))), down, None)
        hi = np.maximum(hi, np.maximum(op, cl))
        lo = np.minimum(lo, np.minimum(op, cl))
        volume = (base_volume * rng.lognormal(0, 0.5, n) * (1 + 30 * np.abs(oc))).astype(np.int64)
        foreign = np.clip(foreign + rng.normal(0, 0.03, n), 0, 100)
        h = halted[:, t]
        cl = np.where(h, prev, cl)
        for key, arr in (("open", op), ("high", hi), ("low", lo)):
            out[key][:, t] = np.where(h, 0.0, arr)
        out["close"][:, t] = cl
        out["volume"][:, t] = np.where(h, 0, volume)
        out["foreign"][:, t] = np.round(foreign, 2)
        prev = cl
    return out


def index_series(prices: dict[str, np.ndarray], stocks: list[dict], market: str,
                 level: float) -> dict[str, list]:
    """A cap-weighted index (KOSPI, KOSDAQ) from its members' closes; volume in thousands."""
    members = [i for i, s in enumerate(stocks) if s["market"] == market and s["security_type"] == "stock"]
    if not members:  # a tiny world may list no company on this market: a flat, empty index
        days = prices["close"].shape[1]
        flat = [round(float(level), 2)] * days
        return {"open": flat, "high": flat, "low": flat, "close": flat, "volume": [0] * days}
    close = prices["close"][members]
    weights = np.array([stocks[i]["shares"] for i in members], dtype=float)[:, None]
    caps = (close * weights).sum(axis=0)
    first = np.array([stocks[i]["first_price"] * stocks[i]["shares"] for i in members]).sum()
    idx_close = level * caps / first
    prev = np.concatenate([[level], idx_close[:-1]])
    op = prev * (1 + (idx_close / prev - 1) * 0.3)
    hi = np.maximum(op, idx_close) * 1.003
    lo = np.minimum(op, idx_close) * 0.997
    vol = prices["volume"][members].sum(axis=0) // 1000
    return {k: [round(float(v), 2) for v in arr]
            for k, arr in (("open", op), ("high", hi), ("low", lo), ("close", idx_close))} | {
        "volume": [int(v) for v in vol]}
