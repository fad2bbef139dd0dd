"""A synthetic world (on top of tests/ml/worlds.py's background) where DART filings move stocks and
the board only echoes them: the board bursts after every planted filing, mover or not, and after
nothing else. A sound scorer credits the filings and not the echo; one without the disclosure
control credits the board."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.ml.worlds import KST, Plant, make_world

MATERIAL = ("earnings_preliminary", "capital_raise", "supply_contract", "halt_warning")


def disclosure_world(seed: int, *, stocks: int = 150, sessions: int = 110, per_day: float = 3.0, q: float = 0.6,
                     echo: float = 0.9) -> tuple[dict[str, pd.DataFrame], dict]:
    """(frames for ``build_panel`` with ``disclosures``, truth). Each day ~``per_day`` stocks file a
    material disclosure: half in the night before the open (predictive), half during the session
    (explanatory); each jumps 10-25 % that day with probability ``q``; with probability ``echo`` the
    board gets 8x its usual posts in the same window. Background: ~1 routine filing (``other``,
    periodic report) a stock a month at random hours, no effect and no echo. The echo follows what
    the model can see (a material filing), not whether the filing moved the stock, so it carries
    nothing beyond the filing."""
    frames, _ = make_world(seed, Plant(), stocks=stocks, sessions=sessions)
    rng = np.random.default_rng(seed + 1000)
    prices = frames["prices"]
    codes = np.sort(frames["stocks"]["code"].to_numpy())
    days = pd.DatetimeIndex(np.sort(prices["trade_date"].unique()))
    px = prices.set_index(["trade_date", "code"])
    rows, posts, planted = [], [], []
    rate = frames["board"].groupby("code").size().reindex(codes).fillna(0).to_numpy() / (2 * len(days))
    for d in range(1, len(days)):
        for s in rng.choice(len(codes), size=rng.poisson(per_day), replace=False):
            session = rng.random() < 0.5
            hours = rng.uniform(0.5, 6.0) if session else -rng.uniform(0.5, 12.0)   # from 09:00 KST
            at = days[d] + pd.Timedelta(hours=9 + hours) - KST                       # naive UTC
            rows.append((codes[s], at, MATERIAL[int(rng.integers(len(MATERIAL)))]))
            planted.append((d, int(s), "explanatory" if session else "predictive"))
            key = (days[d], codes[s])
            if rng.random() < q and key in px.index and not px.loc[key, "halted"]:
                px.loc[key, "close"] = px.loc[key, "open"] * (1 + rng.choice([-1, 1]) * rng.uniform(0.10, 0.25))
            if rng.random() < echo:
                n = rng.poisson(8 * max(rate[s], 1.0) * 2)
                window = (0.0, 6.5) if session else (-12.0, 0.0)
                offsets = rng.uniform(max(hours, window[0]), window[1], n) if session else rng.uniform(hours, 0, n)
                posts.append(pd.DataFrame({"code": codes[s], "posted_at": days[d] + pd.to_timedelta(offsets, "h"),
                                           "reactions": rng.poisson(2, n).astype(float)}))
    n_bg = int(len(codes) * len(days) / 21)
    at = days[rng.integers(len(days), size=n_bg)] + pd.to_timedelta(rng.uniform(-15, 10, n_bg), "h")
    background = pd.DataFrame({"code": codes[rng.integers(len(codes), size=n_bg)], "disclosed_at": at,
                               "event_type": rng.choice(["other", "earnings_periodic"], n_bg)})
    filings = pd.concat([pd.DataFrame(rows, columns=["code", "disclosed_at", "event_type"]), background],
                        ignore_index=True).sort_values("disclosed_at").reset_index(drop=True)
    frames = {**frames, "prices": px.reset_index()[prices.columns],
              "board": pd.concat([frames["board"], *posts], ignore_index=True),
              "disclosures": filings}
    return frames, {"planted": planted, "codes": codes}
