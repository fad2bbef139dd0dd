"""Top movers, clock windows, news mentions and market-media alignment, on hand-built inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml import features, market_media


def _prices(rows):
    return pd.DataFrame(rows, columns=["code", "trade_date", "open", "close", "volume", "halted"]).assign(
        trade_date=lambda f: pd.to_datetime(f["trade_date"]))


def test_given_a_halted_stock_with_the_largest_gap_when_ranking_movers_then_it_is_excluded():
    rows = [(f"{i:06d}", "2025-03-04", 100.0, 100.0 + i, 1000, 0) for i in range(1, 13)]
    rows.append(("000099", "2025-03-04", None, 300.0, 0, 1))           # halted: no open
    rows.append(("000098", "2025-03-04", 100.0, 80.0, 1000, 0))         # the only faller, -20%
    prices = _prices(rows)
    pm = features.price_matrices(prices)
    movers = features.top_movers(pm, prices)
    top_abs = movers[movers["list"] == "abs"].sort_values("rank")
    # |r|: 000098 20%, then 000012 12%, 000011 11%, ... 000004 4%: ten names, no halted one.
    assert top_abs["code"].tolist() == ["000098", "000012", "000011", "000010", "000009", "000008",
                                        "000007", "000006", "000005", "000004"]
    assert np.isclose(top_abs["r"].iloc[0], -0.2)
    down = movers[movers["list"] == "down"]
    assert down["code"].tolist() == ["000098"]                           # risers never fill "down"
    assert (movers["n_valid"] == 13).all()
    assert "000099" not in set(movers["code"])


def test_given_posts_around_the_open_and_close_when_assigning_windows_then_clocks_split_at_0900_and_1530():
    days = np.array(["2025-03-07", "2025-03-10"], dtype="datetime64[D]")   # Friday, Monday
    kst = pd.to_datetime(["2025-03-07 08:59:00", "2025-03-07 09:00:00", "2025-03-07 15:29:00",
                          "2025-03-07 15:30:00", "2025-03-08 12:00:00", "2025-03-10 08:59:59",
                          "2025-03-10 15:30:00", "2025-03-06 00:00:00"])
    utc = (kst - pd.Timedelta(hours=9)).to_numpy()
    day, clock = features.assign_windows(utc, days)
    assert day.tolist() == [0, 0, 0, 1, 1, 1, -1, -1]
    assert clock.tolist() == [0, 1, 1, 0, 0, 0, 0, 0]                  # 0 predictive, 1 explanatory
    # Friday close to Monday open is 65.5 hours; the first day's window defaults to a weekday's.
    assert features.window_hours(days).tolist() == [17.5, 65.5]


def test_given_titles_naming_two_companies_when_matching_then_the_longest_name_wins_and_weights_apply():
    stocks = pd.DataFrame({"code": ["000001", "000002", "000003"], "name": ["LG", "LG전자", "삼성 전자"]})
    news = pd.DataFrame({
        "rank_date": pd.to_datetime(["2025-03-07"] * 3),
        "section": ["eco", "spo", "all"],
        "rank": [1, 51, 100],
        "title": ["LG전자, 3분기 어닝 서프라이즈", "LG 트윈스 우승", "삼성전자 목표가 상향"],
    })
    got = features.mentions(news, stocks).set_index("code")["score"].to_dict()
    # eco rank 1: 1.0 * 100/100; spo rank 51: 0.2 * 50/100; all rank 100: 1.0 * 1/100 (alias without space)
    assert got == {"000002": 1.0, "000001": 0.1, "000003": 0.01}


def test_given_news_of_friday_and_sunday_when_aligning_to_clocks_then_sunday_is_predictive_for_monday():
    days = np.array(["2025-03-07", "2025-03-10"], dtype="datetime64[D]")
    codes = np.array(["000001"])
    scores = pd.DataFrame({"rank_date": pd.to_datetime(["2025-03-07", "2025-03-09", "2025-03-10"]),
                           "code": ["000001"] * 3, "score": [1.0, 2.0, 4.0]})
    out = features.news_features(scores, days, codes)
    assert np.allclose(out["explanatory"]["news_score"][:, 0], np.log1p([1.0, 4.0]))
    # Monday's predictive window holds the rankings of Friday (after the open? no: dated Friday,
    # complete at midnight) through Sunday: 1 + 2.
    assert np.allclose(out["predictive"]["news_score"][:, 0], np.log1p([0.0, 3.0]))


def test_given_a_us_close_dated_the_day_before_when_aligning_then_it_is_the_predictive_value():
    days = np.array(["2025-03-10", "2025-03-11"], dtype="datetime64[D]")
    fg = pd.DataFrame({"as_of_date": pd.to_datetime(["2025-03-07", "2025-03-10", "2025-03-11"]),
                       "score": [50.0, 40.0, 70.0]})
    fx = pd.DataFrame({"rate_date": pd.to_datetime(["2025-03-10"]), "rate": [1400.0]})
    out = market_media.market_media_features(fg, fx, days)
    assert out["predictive"]["fg_move"].tolist() == [0.0, 10.0]     # Friday's move, then Monday's
    assert out["explanatory"]["fg_move"].tolist() == [10.0, 30.0]
    assert out["predictive"]["fx_move"].tolist() == [0.0, 0.0]       # no rate dated before Monday
    assert out["explanatory"]["fx_move"].tolist() == [0.0, 0.0]      # Tuesday has no rate


def test_given_a_burst_over_quiet_history_when_computing_abnormal_volume_then_only_the_burst_stands_out():
    posts = np.array([[1.0]] * 25 + [[15.0]])
    abnormal = features.rolling_abnormal(np.log1p(posts))
    assert abnormal[:5, 0].tolist() == [0.0] * 5                   # too little history
    assert abnormal[24, 0] == 0.0
    assert np.isclose(abnormal[25, 0], np.log(16) - np.log(2))


def test_given_a_company_an_etf_and_an_unknown_type_when_building_controls_then_is_stock_marks_companies():
    from ml.features import controls

    pm = {"codes": np.array(["000001", "000002", "000003"]), "r": np.zeros((2, 3)),
          "volume": np.ones((2, 3)), "close": np.ones((2, 3))}
    stocks = pd.DataFrame({"code": ["000001", "000002", "000003"], "market_cap": [1e9, 1e9, 1e9],
                           "security_type": ["stock", "etf", None]})
    assert controls(pm, stocks)["is_stock"].tolist() == [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]
    assert controls(pm, stocks.drop(columns="security_type"))["is_stock"].tolist() == [[1.0] * 3] * 2


def test_given_a_quiet_stock_with_a_burst_and_a_busy_stock_with_noise_when_scoring_surprise_then_the_burst_stands_out():
    quiet = np.ones(25)
    quiet[-1] = 8                                    # 8 posts where 1 is usual
    busy = np.full(25, 20.0)
    busy[-1] = 30                                    # 30 where 20 is usual: ordinary
    s = features.poisson_surprise(np.stack([quiet, busy], axis=1))
    assert s[-1, 0] > 4 and s[-1, 1] < 2.5
    assert (s[:5] == 0).all()                        # no history, no surprise
    assert s.max() <= features.SURPRISE_CAP


def test_given_mentions_at_ranks_3_and_30_when_scoring_news_then_only_rank_3_counts_at_the_top():
    stocks = pd.DataFrame({"code": ["000010", "000020"], "name": ["가나전자", "다라화학"]})
    news = pd.DataFrame({"rank_date": pd.to_datetime(["2025-03-04", "2025-03-04"]), "section": ["eco", "eco"],
                         "rank": [3, 30], "title": ["가나전자 급등", "다라화학 공시"]})
    got = features.mentions(news, stocks).set_index("code")
    assert got.loc["000010", "top"] == 1.0 and got.loc["000020", "top"] == 0.0
    assert np.isclose(got.loc["000020", "score"], 0.71)


def test_given_a_tail_on_day_one_when_adding_the_family_then_lags_and_small_caps_see_it_on_the_predictive_clock_only():
    tail = np.zeros((5, 2))
    tail[1, 0] = 3.0
    feats = {c: {t: np.zeros((5, 2)) for t in features.TAIL.values()} for c in features.CLOCKS}
    feats["explanatory"]["board_surprise"] = tail
    size = np.tile([1.0, 2.0], (5, 1))               # stock 0 is the small one
    features.family_extras(feats, size, np.ones((5, 2), bool))
    assert feats["predictive"]["board_lag1"][2, 0] == 3.0 and feats["predictive"]["board_lag3"][4, 0] == 3.0
    assert feats["predictive"]["board_lag1"][1, 0] == 0.0        # never the day itself
    assert "board_lag1" not in feats["explanatory"]
    assert feats["explanatory"]["board_small"][1, 0] == 3.0
    assert features.family("board", "explanatory") == ("board_abnormal", "board_reactions", "board_surprise",
                                                       "board_small")
