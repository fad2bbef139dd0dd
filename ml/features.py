"""From loaded frames to the scoring panel: top movers, media features per stock and day on two
clocks, market-wide media and market-level outcomes, and the controls.

Clocks. A trading day D opens at 09:00 KST and closes at 15:30 KST.
- ``predictive``: only data stamped before D's open. Board posts and financial events stamped in
  [previous session's close, D's open); news rankings of the calendar days from the previous
  session up to D - 1; the last Fear & Greed close and FX rate dated before D.
- ``explanatory``: the trading day itself. Board posts and financial events stamped in [D's open,
  D's close); the news ranking dated D; Fear & Greed and FX dated D.
Timestamped data fall in exactly one window per day, so the two clocks never share a data point.

Matrices are (days x stocks), float32 where they hold features; missing activity is 0.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CLOCKS = ("predictive", "explanatory")
OPEN_UTC = pd.Timedelta(hours=0)        # 09:00 KST
CLOSE_UTC = pd.Timedelta(hours=6, minutes=30)  # 15:30 KST
OVERNIGHT_HOURS = 17.5                  # a weekday's close-to-open, the unit windows scale to
SESSION_HOURS = 6.5

STOCK_MEDIA: dict[str, tuple[str, ...]] = {
    "board": ("board_abnormal", "board_reactions"),
    "news": ("news_score",),
    "financial": ("financial_new", "financial_revision"),
    "disclosure": ("disclosure_count", "disclosure_material"),   # ml/disclosures.py
}
MARKET_MEDIA: dict[str, tuple[str, ...]] = {
    "fear_greed": ("fg_move", "fg_extreme"),
    "fx": ("fx_move",),
}
#: Each stock medium's feature family: its base features above, a tail feature (``TAIL``: a Poisson
#: surprise of the posts, the top of the news ranking, any financial event), that tail in small caps
#: (``<medium>_small``: below the day's median size) and, on the predictive clock only, the tail of
#: the 1-3 sessions before (``<medium>_lag<k>``, both windows of that earlier day: all before D's
#: open). A family's coefficients are fitted in training windows only and it is tested as a whole
#: (one permutation of its summed contribution), so the extra features add power, not tests.
TAIL = {"board": "board_surprise", "news": "news_top", "financial": "financial_any",
        "disclosure": "disclosure_any"}
LAGS = (1, 2, 3)
NEWS_TOP_RANKS = 5
SURPRISE_CAP = 8.0                      # -log10 of the Poisson tail, capped


def family(medium: str, clock: str) -> tuple[str, ...]:
    """The feature names of ``medium``'s family on ``clock``."""
    names = STOCK_MEDIA[medium] + (TAIL[medium], f"{medium}_small")
    return names + tuple(f"{medium}_lag{k}" for k in LAGS) if clock == "predictive" else names


CONTROLS = ("lag_r", "lag_abs_r", "lag_volatility", "lag_abnormal_volume", "log_size", "is_stock")
MARKET_CONTROLS = ("lag_big_movers", "lag_dispersion")

SECTION_WEIGHT = {"eco": 1.0, "all": 1.0, "its": 0.6, "soc": 0.4, "int": 0.4, "pol": 0.3,
                  "spo": 0.2, "ent": 0.2}
BOARD_ACTIVE_LOG = float(np.log(4.0))   # 4x the usual (1 + posts)
BOARD_ACTIVE_MIN_POSTS = 3
MEDIAN_DAYS = 20
BIG_MOVE = 0.10                          # |r| that counts as a big mover for market outcomes
MARKET_WINDOW = 60                       # trailing days of the market-media daily score
TOP_N = 10


@dataclass
class Panel:
    """Everything the scorers need, aligned on (days, codes)."""

    days: np.ndarray                       # datetime64[D], ascending
    codes: np.ndarray                      # str
    r: np.ndarray                          # open->close return, NaN where not valid
    valid: np.ndarray                      # bool
    top: np.ndarray                        # bool, top 10 by |r| (the "abs" list)
    features: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)   # clock -> name -> DxS
    active: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)     # clock -> medium -> DxS
    market: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)     # clock -> name -> D
    market_active: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    big_movers: np.ndarray | None = None   # D, count of |r| >= BIG_MOVE
    dispersion: np.ndarray | None = None   # D, cross-sectional std of r
    turbulent: np.ndarray | None = None    # D, big_movers above its trailing median


# --------------------------------------------------------------------------- prices
def price_matrices(prices: pd.DataFrame) -> dict[str, np.ndarray]:
    """Pivot daily prices to (days x stocks): r (NaN unless valid), valid, volume, close. Index rows
    (KOSPI, KOSDAQ) are dropped: they are never a stock-level unit."""
    from ml.dataset import is_stock_code

    prices = prices[is_stock_code(prices["code"])].sort_values(["trade_date", "code"])
    days = np.sort(prices["trade_date"].unique()).astype("datetime64[D]")
    codes = np.sort(prices["code"].unique())
    di = np.searchsorted(days, prices["trade_date"].to_numpy().astype("datetime64[D]"))
    ci = np.searchsorted(codes, prices["code"].to_numpy())
    shape = (len(days), len(codes))

    def grid(values, fill=np.nan, dtype=float):
        out = np.full(shape, fill, dtype=dtype)
        out[di, ci] = values
        return out

    op = grid(prices["open"].to_numpy(dtype=float))
    cl = grid(prices["close"].to_numpy(dtype=float))
    halted = grid(prices["halted"].astype(bool).to_numpy(), fill=True, dtype=bool)
    volume = grid(prices["volume"].to_numpy(dtype=float))
    valid = ~halted & (op > 0) & (cl > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(valid, cl / op - 1.0, np.nan)
    return {"days": days, "codes": codes, "r": r, "valid": valid, "volume": volume, "close": cl}


def top_mask(r: np.ndarray, n: int = TOP_N, sign: int = 0) -> np.ndarray:
    """Bool (days x stocks): the n largest |r| (sign 0), largest r (1) or smallest r (-1) per day."""
    key = np.abs(r) if sign == 0 else r * sign
    key = np.where(np.isnan(key), -np.inf, key)
    if sign:
        key = np.where(key > 0, key, -np.inf)   # an "up" list holds risers only
    order = np.argsort(-key, axis=1, kind="stable")[:, :n]
    mask = np.zeros(r.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask & np.isfinite(key)


def top_movers(pm: dict[str, np.ndarray], prices: pd.DataFrame, n: int = TOP_N) -> pd.DataFrame:
    """The day's top ``n`` by |r| ("abs"), top ``n`` risers ("up") and fallers ("down")."""
    r, days, codes = pm["r"], pm["days"], pm["codes"]
    n_valid = pm["valid"].sum(axis=1)
    rows = []
    for name, sign in (("abs", 0), ("up", 1), ("down", -1)):
        key = np.abs(r) if sign == 0 else r * sign
        key = np.where(np.isnan(key), -np.inf, key)
        order = np.argsort(-key, axis=1, kind="stable")[:, :n]
        for rank in range(order.shape[1]):
            idx = order[:, rank]
            k = key[np.arange(len(days)), idx]
            keep = np.isfinite(k) & ((k > 0) if sign else True)
            rows.append(pd.DataFrame({
                "trade_date": days[keep], "list": name, "rank": rank + 1, "code": codes[idx[keep]],
                "r": r[np.flatnonzero(keep), idx[keep]], "n_valid": n_valid[keep]}))
    out = pd.concat(rows, ignore_index=True)
    out["direction"] = np.select([out["r"] > 0, out["r"] < 0], ["up", "down"], "flat")
    px = prices.assign(trade_date=prices["trade_date"].to_numpy().astype("datetime64[D]"))
    out = out.merge(px[["trade_date", "code", "open", "close", "volume"]], on=["trade_date", "code"])
    return out.sort_values(["trade_date", "list", "rank"]).reset_index(drop=True)


def rolling_abnormal(x: np.ndarray, days: int = MEDIAN_DAYS, min_periods: int = 5) -> np.ndarray:
    """x minus its median over the previous ``days`` rows (0 where there is too little history)."""
    med = pd.DataFrame(x).rolling(days, min_periods=min_periods).median().shift(1).to_numpy()
    return np.where(np.isnan(med), 0.0, x - med)


# --------------------------------------------------------------------------- windows
def session_bounds(days: np.ndarray) -> np.ndarray:
    """[open_0, close_0, open_1, close_1, ...] as UTC datetime64[ns]."""
    d = days.astype("datetime64[ns]")
    bounds = np.empty(2 * len(d), dtype="datetime64[ns]")
    bounds[0::2] = d + OPEN_UTC.to_timedelta64()
    bounds[1::2] = d + CLOSE_UTC.to_timedelta64()
    return bounds


def assign_windows(stamps_utc: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For UTC stamps: (day index, clock index 0 predictive / 1 explanatory); day -1 when the
    stamp falls after the last close or more than one overnight before the first open."""
    bounds = session_bounds(days)
    j = np.searchsorted(bounds, stamps_utc.astype("datetime64[ns]"), side="right")
    day, clock = j // 2, j % 2
    first = bounds[0] - np.timedelta64(int(OVERNIGHT_HOURS * 3600), "s")
    day = np.where((day >= len(days)) | (stamps_utc.astype("datetime64[ns]") < first), -1, day)
    return day, clock


def window_hours(days: np.ndarray) -> np.ndarray:
    """Hours of each day's predictive window (previous close to open)."""
    bounds = session_bounds(days)
    hours = np.full(len(days), OVERNIGHT_HOURS)
    hours[1:] = (bounds[2::2] - bounds[1:-1:2]).astype("timedelta64[s]").astype(float) / 3600
    return hours


def _count(day, clock, code_idx, weights, shape) -> dict[str, np.ndarray]:
    out = {}
    for c, name in enumerate(CLOCKS):
        keep = (day >= 0) & (clock == c) & (code_idx >= 0)
        flat = np.bincount(day[keep] * shape[1] + code_idx[keep], weights=weights[keep],
                           minlength=shape[0] * shape[1])
        out[name] = flat.reshape(shape)
    return out


def _code_index(codes: np.ndarray, values: pd.Series) -> np.ndarray:
    return pd.Categorical(values.to_numpy(), categories=codes).codes.astype(np.int64)


def poisson_surprise(counts: np.ndarray, days: int = MEDIAN_DAYS, min_periods: int = 5) -> np.ndarray:
    """-log10 P(X >= count) for X ~ Poisson(mean of the previous ``days`` rows + 0.25), capped at
    ``SURPRISE_CAP``; 0 without enough history. It sees a burst on a quiet stock (8 posts where 1 is
    usual: 4.9) that the log difference ranks among ordinary noise, and caps the tail a linear
    logit would otherwise flatten."""
    from scipy.stats import poisson

    mean = pd.DataFrame(counts).rolling(days, min_periods=min_periods).mean().shift(1).to_numpy()
    k = np.floor(counts)
    with np.errstate(divide="ignore"):
        s = -np.log10(np.maximum(poisson.sf(k - 1, np.nan_to_num(mean) + 0.25), 1e-300))
    return np.where(np.isnan(mean) | (k < 1), 0.0, np.minimum(s, SURPRISE_CAP))


def board_features(board: pd.DataFrame, days: np.ndarray, codes: np.ndarray) -> dict:
    """clock -> {board_abnormal, board_reactions, board_surprise, posts} (days x stocks)."""
    shape = (len(days), len(codes))
    day, clock = assign_windows(board["posted_at"].to_numpy(), days)
    idx = _code_index(codes, board["code"])
    posts = _count(day, clock, idx, np.ones(len(board)), shape)
    reactions = _count(day, clock, idx, board["reactions"].to_numpy(dtype=float), shape)
    scale = {"predictive": (OVERNIGHT_HOURS / window_hours(days))[:, None],
             "explanatory": np.ones((len(days), 1))}
    out = {}
    for name in CLOCKS:
        out[name] = {
            "board_abnormal": rolling_abnormal(np.log1p(posts[name] * scale[name])),
            "board_reactions": rolling_abnormal(np.log1p(reactions[name] * scale[name])),
            "board_surprise": poisson_surprise(posts[name] * scale[name]),
            "posts": posts[name],
        }
    return out


# --------------------------------------------------------------------------- news
def aliases(stocks: pd.DataFrame) -> dict[str, str]:
    """alias -> code: the name, without spaces and without (주)/㈜; ambiguous or 1-char aliases dropped."""
    seen: dict[str, set[str]] = {}
    for code, name in zip(stocks["code"], stocks["name"]):
        if not isinstance(name, str):
            continue
        bare = re.sub(r"\(주\)|㈜", "", name).strip()
        for alias in {name, name.replace(" ", ""), bare, bare.replace(" ", "")}:
            if len(alias) >= 2:
                seen.setdefault(alias, set()).add(code)
    return {alias: next(iter(c)) for alias, c in seen.items() if len(c) == 1}


def trie_regex(words) -> re.Pattern:
    """One regex matching any of ``words``, longest first at each position (a prefix trie)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def pattern(node: dict) -> str:
        alts = [re.escape(ch) + pattern(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(pattern(trie))


def mentions(news: pd.DataFrame, stocks: pd.DataFrame) -> pd.DataFrame:
    """rank_date, code, score, top: company names / aliases found in ranked titles, each mention
    weighted by section and by rank ((101 - rank) / 100); ``top`` sums the section weights of the
    mentions in the first ``NEWS_TOP_RANKS`` ranks only (an effect at the top of the ranking)."""
    alias_code = aliases(stocks)
    empty = pd.DataFrame({"rank_date": [], "code": [], "score": [], "top": []})
    if news.empty or not alias_code:
        return empty
    regex = trie_regex(alias_code)
    titles = news["title"].unique()
    found = {t: {alias_code[m] for m in regex.findall(t) if m in alias_code} for t in titles}
    pairs = [(i, code) for i, t in enumerate(news["title"].to_numpy()) for code in found[t]]
    if not pairs:
        return empty
    row, code = zip(*pairs)
    hits = news.iloc[list(row)]
    section = hits["section"].map(SECTION_WEIGHT).fillna(0.2).to_numpy()
    rank = hits["rank"].to_numpy()
    frame = pd.DataFrame({"rank_date": hits["rank_date"].to_numpy(), "code": code,
                          "score": section * (101 - rank) / 100,
                          "top": section * (rank <= NEWS_TOP_RANKS)})
    return frame.groupby(["rank_date", "code"], as_index=False)[["score", "top"]].sum()


def news_features(scores: pd.DataFrame, days: np.ndarray, codes: np.ndarray) -> dict:
    """clock -> {news_score, news_top} (log1p of summed mention weights, of all ranks / the top)."""
    shape = (len(days), len(codes))
    rd = scores["rank_date"].to_numpy().astype("datetime64[D]")
    idx = _code_index(codes, scores["code"])
    pos = np.searchsorted(days, rd, side="left")
    same = (pos < len(days)) & (days[np.minimum(pos, len(days) - 1)] == rd)
    explanatory_day = np.where(same, pos, -1)
    nxt = np.searchsorted(days, rd, side="right")            # first trading day after rd
    first_ok = rd >= days[0] - np.timedelta64(1, "D")
    predictive_day = np.where((nxt < len(days)) & first_ok, nxt, -1)
    out = {}
    for name, day in (("predictive", predictive_day), ("explanatory", explanatory_day)):
        keep = (day >= 0) & (idx >= 0)
        out[name] = {}
        for feature, col in (("news_score", "score"), ("news_top", "top")):
            w = scores[col].to_numpy(dtype=float) if col in scores else np.zeros(len(scores))
            flat = np.bincount(day[keep] * shape[1] + idx[keep], weights=w[keep],
                               minlength=shape[0] * shape[1]).reshape(shape)
            out[name][feature] = np.log1p(flat)
    return out


def financial_features(events: pd.DataFrame, days: np.ndarray, codes: np.ndarray) -> dict:
    """clock -> {financial_new, financial_revision} (log1p of event counts)."""
    shape = (len(days), len(codes))
    day, clock = assign_windows(events["event_at"].to_numpy(), days)
    idx = _code_index(codes, events["code"])
    out = {name: {} for name in CLOCKS}
    for kind, feature in (("new_statement", "financial_new"), ("estimate_revision", "financial_revision")):
        counts = _count(day, clock, idx, (events["kind"] == kind).to_numpy(dtype=float), shape)
        for name in CLOCKS:
            out[name][feature] = np.log1p(counts[name])
    for name in CLOCKS:
        out[name]["financial_any"] = ((out[name]["financial_new"] + out[name]["financial_revision"]) > 0
                                      ).astype(float)
    return out


def shift_days(x: np.ndarray, k: int) -> np.ndarray:
    """``x`` of k rows (trading days) before; 0 for the first k days."""
    return np.vstack([np.zeros((k, x.shape[1]), dtype=x.dtype), x[:-k]]) if k else x


def family_extras(feats: dict[str, dict[str, np.ndarray]], size: np.ndarray, valid: np.ndarray) -> None:
    """Add each medium's ``<medium>_small`` (both clocks) and ``<medium>_lag<k>`` (predictive
    clock) to ``feats`` (clock -> name -> days x stocks) in place. Small caps: lagged size below
    the day's median over valid stocks. A lag takes the larger of the earlier day's two windows."""
    masked = np.where(valid, size, np.nan)
    with np.errstate(invalid="ignore"):
        median = np.nanmedian(np.where(np.isnan(masked).all(axis=1, keepdims=True), 0.0, masked), axis=1)
    small = (size < median[:, None]).astype(float)
    for medium, tail in TAIL.items():
        both = np.maximum(feats["predictive"][tail], feats["explanatory"][tail])
        for clock in CLOCKS:
            feats[clock][f"{medium}_small"] = feats[clock][tail] * small
        for k in LAGS:
            feats["predictive"][f"{medium}_lag{k}"] = shift_days(both, k)


# --------------------------------------------------------------------------- the panel
def controls(pm: dict[str, np.ndarray], stocks: pd.DataFrame) -> dict[str, np.ndarray]:
    """lag_r, lag_abs_r (yesterday's open->close), lag_volatility (std of r over the previous 20
    days: how often a stock is among the movers by its nature, e.g. an ETF against a small cap),
    lag_abnormal_volume (yesterday's log volume minus its 20-day median), log_size (the listing's
    market cap scaled by the close of yesterday against the stock's first close in the panel) and
    is_stock (1 for an operating company, 0 for an ETF and other listed products: only companies
    publish statements or get named in news, so without it those media stand for "is a company"; 1
    everywhere when the security type is unknown). Every value of day D uses days before D only
    (missing values filled with that day's cross-sectional median), so adding later days changes no
    earlier feature."""
    r = np.nan_to_num(pm["r"])
    lag_r = np.vstack([np.zeros((1, r.shape[1])), r[:-1]])
    vol = _fill_by_day(pd.DataFrame(pm["r"]).rolling(MEDIAN_DAYS, min_periods=5).std().shift(1).to_numpy())
    logv = np.log1p(np.nan_to_num(pm["volume"]))
    abn = rolling_abnormal(logv)
    lag_abn = np.vstack([np.zeros((1, r.shape[1])), abn[:-1]])
    cap = stocks.set_index("code")["market_cap"].reindex(pm["codes"]).to_numpy(dtype=float)
    close = pd.DataFrame(pm["close"]).ffill().to_numpy()
    first = pd.DataFrame(pm["close"]).bfill().to_numpy()[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.log(cap)[None, :] + np.log(close) - np.log(first)[None, :]
    lag_size = _fill_by_day(np.vstack([np.full((1, r.shape[1]), np.nan), size[:-1]]))
    kind = stocks.set_index("code")["security_type"] if "security_type" in stocks else pd.Series(dtype=object)
    kind = kind.reindex(pm["codes"])
    is_stock = np.broadcast_to(((kind == "stock") | kind.isna()).to_numpy(dtype=float)[None, :], r.shape)
    return {"lag_r": lag_r, "lag_abs_r": np.abs(lag_r), "lag_volatility": vol, "lag_abnormal_volume": lag_abn,
            "log_size": lag_size, "is_stock": is_stock}


def _fill_by_day(x: np.ndarray) -> np.ndarray:
    """Non-finite values replaced by their day's median of finite values (0 on a day with none)."""
    finite = np.isfinite(x)
    masked = np.where(finite, x, np.nan)
    with np.errstate(invalid="ignore"):
        med = np.nanmedian(np.where(finite.any(axis=1, keepdims=True), masked, 0.0), axis=1)
    return np.where(finite, x, med[:, None])


def build_panel(prices: pd.DataFrame, stocks: pd.DataFrame, board: pd.DataFrame,
                news: pd.DataFrame, events: pd.DataFrame, fear_greed: pd.DataFrame,
                fx: pd.DataFrame, disclosures: pd.DataFrame | None = None) -> Panel:
    """Assemble every feature, flag and outcome of the loaded frames into one Panel (no
    ``disclosures``: the medium is all zeros, and so controls for nothing)."""
    from ml import market_media
    from ml.disclosures import disclosure_features

    if prices.empty:
        raise ValueError("no daily prices in the requested range: nothing to score")
    pm = price_matrices(prices)
    if not len(pm["codes"]):
        raise ValueError("no stock prices in the requested range (index rows only): nothing to score")
    days, codes = pm["days"], pm["codes"]
    panel = Panel(days=days, codes=codes, r=pm["r"], valid=pm["valid"], top=top_mask(pm["r"]))
    brd = board_features(board, days, codes)
    nws = news_features(mentions(news, stocks), days, codes)
    fin = financial_features(events, days, codes)
    ctl = controls(pm, stocks)
    dis = disclosure_features(disclosures, days, codes)
    merged = {clock: {**brd[clock], **nws[clock], **fin[clock], **dis[clock], **ctl} for clock in CLOCKS}
    family_extras(merged, ctl["log_size"], pm["valid"])
    for clock in CLOCKS:
        feats = merged[clock]
        posts = feats.pop("posts")
        panel.features[clock] = {k: np.asarray(v, dtype=np.float32) for k, v in feats.items()}
        panel.active[clock] = {
            "board": (feats["board_abnormal"] >= BOARD_ACTIVE_LOG) & (posts >= BOARD_ACTIVE_MIN_POSTS),
            "news": feats["news_score"] > 0,
            "financial": (feats["financial_new"] > 0) | (feats["financial_revision"] > 0),
            "disclosure": feats["disclosure_any"] > 0,
        }
    mkt = market_media.market_media_features(fear_greed, fx, days)
    outcomes = market_media.market_outcomes(pm["r"], pm["valid"])
    for clock in CLOCKS:
        panel.market[clock] = {**mkt[clock], "lag_big_movers": outcomes["lag_big_movers"],
                               "lag_dispersion": outcomes["lag_dispersion"]}
    panel.market_active = market_media.market_active(mkt, MARKET_MEDIA)
    panel.big_movers, panel.dispersion = outcomes["big_movers"], outcomes["dispersion"]
    panel.turbulent = outcomes["turbulent"]
    return panel
