"""One scoring pass over a Panel: top movers, daily lifts, rolling influence and the PCA summary
for both clocks, as frames ready for the ML tables. Pure: no database here."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import significance
from ml.features import CLOCKS, CONTROLS, MARKET_CONTROLS, MARKET_MEDIA, STOCK_MEDIA, Panel, family
from ml.modeling import influence_tests, train

MODEL = "logit-rolling"
#: How each scope's p is made (``method`` column).
METHOD = {"stock": "within-day permutation of the medium family, normal approximation",
          "market": "circular shifts of the medium against the days, normal approximation"}


@dataclass(frozen=True)
class ScoringConfig:
    """Rolling-model and test settings."""

    window: int = 250         # training days per refit
    min_train: int = 60       # days before the first out-of-sample day
    step: int = 21            # eval days per refit
    n_perm: int = 99
    n_boot: int = 1000
    seed: int = 0


def stock_families(clock: str) -> dict[str, tuple[str, ...]]:
    """medium -> its feature family on ``clock``."""
    return {medium: family(medium, clock) for medium in STOCK_MEDIA}


def disclosure_strata(panel: Panel, clock: str) -> np.ndarray:
    """Days x stocks: 0 no filing in the clock's window, 1 routine filings only, 2 a material filing
    (ml/disclosures.py). The other stock media are tested within these strata: what they add beyond
    disclosures."""
    f = panel.features[clock]
    return np.where(f["disclosure_material"] > 0, 2, f["disclosure_any"] > 0).astype(np.int8)


def security_kinds(panel: Panel, clock: str) -> np.ndarray:
    """Days x stocks: 1 an operating company, 0 an ETF or other listed product (the ``is_stock``
    control). Every stock medium is permuted within these kinds: only companies file, publish or get
    named, so the null never hands a company's media to an ETF."""
    return (panel.features[clock]["is_stock"] > 0.5).astype(np.int8)


def code_identities(codes: np.ndarray) -> np.ndarray:
    """One int per stock column, from its code alone (base 36: codes hold digits and capitals), so
    a stock's place in every permutation draw is the same in any panel that holds it."""
    return np.array([int(code, 36) for code in codes], dtype=np.int64)


def stock_tensor(panel: Panel, clock: str) -> tuple[np.ndarray, list[str]]:
    """(F, days, stocks) features of the stock media's families plus controls, and their names."""
    names = [n for feats in stock_families(clock).values() for n in feats] + list(CONTROLS)
    return np.stack([panel.features[clock][n] for n in names]), names


def market_tensor(panel: Panel, clock: str) -> tuple[np.ndarray, list[str]]:
    """(F, days, 1) market-media features plus market controls, and their names."""
    names = [n for feats in MARKET_MEDIA.values() for n in feats] + list(MARKET_CONTROLS)
    return np.stack([panel.market[clock][n] for n in names])[:, :, None], names


def daily_scores(panel: Panel) -> pd.DataFrame:
    """if_media_influence_daily rows for every day of the panel."""
    frames = []
    for clock in CLOCKS:
        for medium in STOCK_MEDIA:
            f = train.daily_lift(panel.active[clock][medium], panel.top, panel.valid)
            frames.append(f.assign(trade_date=panel.days, medium=medium, clock=clock, scope="stock"))
        for medium in MARKET_MEDIA:
            f = train.market_daily_lift(panel.market_active[clock][medium], panel.turbulent)
            frames.append(f.assign(trade_date=panel.days, medium=medium, clock=clock, scope="market"))
    return pd.concat(frames, ignore_index=True)


def mover_activity(panel: Panel, movers: pd.DataFrame) -> pd.DataFrame:
    """Top-mover rows with each mover's media activity per clock."""
    di = np.searchsorted(panel.days, movers["trade_date"].to_numpy().astype("datetime64[D]"))
    ci = np.searchsorted(panel.codes, movers["code"].to_numpy())
    out = movers.copy()
    for clock in CLOCKS:
        f = panel.features[clock]
        out[f"board_{clock}"] = f["board_abnormal"][di, ci].astype(float)
        out[f"news_{clock}"] = f["news_score"][di, ci].astype(float)
        out[f"financial_{clock}"] = (f["financial_new"] + f["financial_revision"])[di, ci].astype(float)
    return out


def rolling_scores(panel: Panel, config: ScoringConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(m_media_influence rows, m_media_pca rows) for every month / year with out-of-sample days:
    one test per medium, clock and period, Holm-corrected per family (:mod:`ml.significance`),
    ranks among the media that passed only."""
    frames, pcas = [], []
    for c, clock in enumerate(CLOCKS):
        X, names = stock_tensor(panel, clock)
        fit = train.rolling_fit(X, panel.top, panel.valid, names, window=config.window,
                                min_train=config.min_train, step=config.step, seed=config.seed,
                                nonnegative=tuple(n for n in names if n not in CONTROLS))
        f = influence_tests.stock_influence(X, panel.top, panel.valid, panel.days, fit, stock_families(clock),
                                    n_perm=config.n_perm, n_boot=config.n_boot, seed=config.seed, stream=c,
                                    strata=disclosure_strata(panel, clock), unconditional=("disclosure",),
                                    kinds=security_kinds(panel, clock), identities=code_identities(panel.codes))
        frames.append(f.assign(clock=clock, scope="stock", train_days=fit.train_days))
        Xm, mnames = market_tensor(panel, clock)
        ones = np.ones((len(panel.days), 1), dtype=bool)
        mfit = train.rolling_fit(Xm, panel.turbulent[:, None], ones, mnames, window=config.window,
                                 min_train=config.min_train, step=config.step, seed=config.seed,
                                 nonnegative=tuple(n for n in mnames if n not in MARKET_CONTROLS))
        m = influence_tests.market_influence(Xm, panel.turbulent, panel.days, mfit, MARKET_MEDIA,
                                     n_perm=config.n_perm, n_boot=config.n_boot, seed=config.seed, stream=c)
        frames.append(m.assign(clock=clock, scope="market", train_days=mfit.train_days))
        media_names = [n for feats in STOCK_MEDIA.values() for n in feats]
        media_idx = [names.index(n) for n in media_names]
        for (kind, label), where in influence_tests.periods_of(panel.days).items():
            for row in train.pca_summary(X[media_idx][:, where], panel.valid[where], media_names):
                pcas.append({"period_type": kind, "period": label, "clock": clock, **row})
    influence = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else pd.DataFrame(columns=["period_type", "period", "medium", "clock", "scope", "influence"])
    if len(influence):
        influence = significance.adjust(influence)
        influence["rank"] = influence_tests.rank_within(influence)
        influence["model"] = MODEL
        influence["method"] = influence["scope"].map(METHOD)
        influence["n_permutations"] = config.n_perm
        influence["n_bootstrap"] = config.n_boot
    return influence, pd.DataFrame(pcas)
