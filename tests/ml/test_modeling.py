"""Daily lift and its hypergeometric p, per-day average precision, the block bootstrap."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from ml.modeling import influence_tests, train
from ml.modeling.train import RollingFit


def test_given_two_of_four_active_stocks_in_the_top_when_scoring_the_day_then_lift_and_p_are_exact():
    valid = np.ones((1, 20), dtype=bool)
    top = np.zeros((1, 20), dtype=bool)
    top[0, [0, 1]] = True
    active = np.zeros((1, 20), dtype=bool)
    active[0, [0, 1, 2, 3]] = True
    row = train.daily_lift(active, top, valid).iloc[0]
    assert row["lift"] == 5.0                                  # (2/4) / (2/20)
    assert row["base_rate"] == 0.1
    # P(X >= 2), X ~ Hypergeom(N=20, K=2, n=4) = C(2,2) C(18,2) / C(20,4) = 153 / 4845
    assert np.isclose(row["p_value"], 153 / 4845)


def test_given_no_active_stock_when_scoring_the_day_then_lift_is_missing_and_p_is_one():
    valid = np.ones((1, 5), dtype=bool)
    row = train.daily_lift(np.zeros((1, 5), bool), valid & False, valid).iloc[0]
    assert np.isnan(row["lift"]) and row["p_value"] == 1.0


def test_given_positives_at_positions_one_and_three_when_computing_ap_then_it_is_five_sixths():
    scores = np.array([[0.9, 0.8, 0.7, 0.1]])
    positive = np.array([[True, False, True, False]])
    ap = influence_tests.ap_per_day(scores, positive, np.ones_like(positive))
    assert np.isclose(ap[0], (1 / 1 + 2 / 3) / 2)


def test_given_an_invalid_unit_with_the_top_score_when_computing_ap_then_it_is_ignored():
    scores = np.array([[5.0, 0.9, 0.8]])
    positive = np.array([[False, True, False]])
    valid = np.array([[False, True, True]])
    assert influence_tests.ap_per_day(scores, positive, valid)[0] == 1.0


def test_given_random_days_when_computing_ap_then_it_matches_scikit_learn():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(6, 50))
    positive = rng.random((6, 50)) < 0.1
    positive[:, 0] = True
    got = influence_tests.ap_per_day(scores, positive, np.ones_like(positive))
    want = [average_precision_score(positive[d], scores[d]) for d in range(6)]
    assert np.allclose(got, want)
    assert np.allclose(influence_tests.ap_rows(scores, positive), want)


def test_given_a_block_bootstrap_when_drawing_indexes_then_rows_are_runs_of_consecutive_days():
    idx = influence_tests.block_indices(12, 4, np.random.default_rng(0), block=4)
    assert idx.shape == (4, 12)
    assert (idx >= 0).all() and (idx < 12).all()
    assert (np.diff(idx.reshape(4, 3, 4), axis=2) == 1).all()


def test_given_days_in_two_months_when_grouping_periods_then_months_and_the_year_are_listed():
    days = np.array(["2025-01-30", "2025-01-31", "2025-02-03"], dtype="datetime64[D]")
    got = {k: v.tolist() for k, v in influence_tests.periods_of(days).items()}
    assert got == {("month", "2025-01"): [0, 1], ("month", "2025-02"): [2], ("year", "2025"): [0, 1, 2]}


def _companies_only_medium(seed: int):
    """A medium only companies have (a filing), independent of which company moves; ETFs never
    move; the fitted model carries "is a company" in the medium's coefficient (control at 0)."""
    rng = np.random.default_rng(seed)
    days, units, etfs = 80, 100, 25
    company = np.arange(units) >= etfs
    filing = (rng.random((days, units)) < 0.3) & company[None, :]
    top = np.zeros((days, units), dtype=bool)
    for d in range(days):
        top[d, rng.choice(np.flatnonzero(company), 10, replace=False)] = True
    X = np.stack([filing.astype(float), np.broadcast_to(company, (days, units)).astype(float)])
    fit = RollingFit(names=["filing", "is_stock"], eval_days=np.arange(days),
                     coef=np.tile([2.0, 0.0, 0.0], (days, 1)), train_days=60)
    day_index = np.datetime64("2025-01-01") + np.arange(days)
    kinds = np.broadcast_to(company, (days, units)).astype(np.int8)
    return X, top, np.ones((days, units), dtype=bool), day_index, fit, kinds


def test_given_a_medium_only_companies_have_when_permuting_within_security_kinds_then_etfs_earn_it_no_credit():
    X, top, valid, days, fit, kinds = _companies_only_medium(3)
    media = {"disclosure": ("filing",)}
    across = influence_tests.stock_influence(X, top, valid, days, fit, media, n_perm=99, n_boot=50)
    within = influence_tests.stock_influence(X, top, valid, days, fit, media, n_perm=99, n_boot=50, kinds=kinds)
    year = lambda f: f[f.period_type == "year"].iloc[0]  # noqa: E731
    assert year(across).p_value < 0.001 and year(across).influence > 0.005  # the defect: "is a company" credited
    assert year(within).p_value > 0.05 and abs(year(within).influence) < 0.01


def test_given_persistent_permutations_when_drawn_then_each_is_a_permutation_within_groups_and_the_same_on_equal_days():
    identities = np.array([100, 7, 55, 3, 42, 9])
    orders = influence_tests.identity_orders(identities, 200, seed=1, stream=0, medium=0)
    v = np.array([0, 1, 2, 4, 5])                                   # column 3 not valid that day
    groups = np.array([0, 0, 1, 1, 1])
    idx = influence_tests.persistent_permutations(orders, v, groups, len(identities))
    assert all(sorted(row[:2]) == [0, 1] and sorted(row[2:]) == [2, 3, 4] for row in idx)
    again = influence_tests.persistent_permutations(orders, v, groups, len(identities))
    assert (idx == again).all()                                      # a draw keeps its identities day after day
    assert len({tuple(row[2:]) for row in idx}) == 6                 # every permutation of the 3 is drawn
    # a stock's place comes from its identity alone: a panel with one more stock draws the same
    wider = influence_tests.identity_orders(np.append(identities, 1), 200, seed=1, stream=0, medium=0)
    assert (influence_tests.persistent_permutations(wider, v, groups, 7) == idx).all()


def test_given_a_large_group_whose_members_churn_when_drawing_then_most_stocks_keep_their_partner():
    orders = influence_tests.identity_orders(np.arange(1000, 1200), 50, seed=3, stream=0, medium=0)
    today = np.arange(200)
    tomorrow = np.delete(today, np.random.default_rng(0).choice(200, 20, replace=False))   # 10% filed, say
    a = influence_tests.persistent_permutations(orders, today, None, 200)
    b = influence_tests.persistent_permutations(orders, tomorrow, None, 200)
    assert all(sorted(row) == list(range(len(today))) for row in a)
    partner_today = today[a][:, tomorrow]            # (draw, stock of tomorrow) -> partner today
    partner_tomorrow = tomorrow[b]
    assert (partner_today == partner_tomorrow).mean() > 0.8    # 0.90 (matching ranks of two orders: 0.20)


def test_given_a_persistent_medium_and_persistent_volatility_with_no_effect_when_testing_then_the_level_holds():
    """Each stock has its own post rate and its own volatility, independent of each other; the fitted
    coefficient on posts is whatever training found (here +1); a tenth of the stocks a day file
    something (the conditional stratum the board is permuted within). A shuffle day by day treats
    the days as independent and passes the chance correlation of rate and volatility in a world's
    150 stocks as influence; so does a draw that keeps identities only while a group's members stay
    the same (the filers change daily). Draws that keep identities through that churn, with the
    permutation test's own p above its floor, hold the level."""
    rng = np.random.default_rng(5)
    days, units, runs, rejected = 60, 150, 150, 0
    fit = RollingFit(names=["posts"], eval_days=np.arange(days), coef=np.tile([1.0, 0.0], (days, 1)),
                     train_days=60)
    day_index = np.datetime64("2025-01-01") + np.arange(days)
    for _ in range(runs):
        rate, vol = rng.lognormal(0, 0.9, units), rng.lognormal(0, 0.35, units)
        posts = np.log1p(rng.poisson(rate[None, :].repeat(days, axis=0)))
        moves = np.abs(vol[None, :] * rng.standard_t(4, (days, units)))
        top = moves >= np.sort(moves, axis=1)[:, [-10]]
        filed = (rng.random((days, units)) < 0.1).astype(np.int8)
        rows = influence_tests.stock_influence(posts[None], top, np.ones((days, units), bool), day_index, fit,
                                               {"board": ("posts",)}, n_perm=99, n_boot=20,
                                               seed=int(rng.integers(1e6)), strata=filed)
        rejected += int(rows.loc[rows.period_type == "year", "p_value"].iloc[0] < 0.05)
    assert rejected / runs <= 0.08     # day by day: 17.5%; identities kept only without churn: 11%


def test_given_a_statistic_beyond_every_draw_of_a_long_null_then_its_p_goes_below_the_floor_and_a_short_ones_does_not():
    rng = np.random.default_rng(2)
    long_null, short_null = rng.normal(0, 1, 150), rng.normal(0, 1, 21)
    long_null, short_null = long_null - long_null.mean(), short_null - short_null.mean()
    beyond = influence_tests.claim(6.0, long_null, np.array([]))
    assert beyond["p_value"] < 1 / 151 and beyond["ci_low"] > 0
    assert influence_tests.claim(6.0, short_null, np.array([]))["p_value"] == 1 / 22
    inside = influence_tests.claim(float(np.sort(long_null)[-3]), long_null, np.array([]))
    assert inside["p_value"] >= 3 / 151                              # within the draws: the exact p


def _logit_data(seed: int, n: int = 6000) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a logit whose six features weigh +0.8, -0.8, +0.4, -0.4, 0 and +0.2 per sd."""
    weights = np.array([0.8, -0.8, 0.4, -0.4, 0.0, 0.2])
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(weights))) * rng.uniform(0.2, 4.0, len(weights))
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ (weights / X.std(axis=0)) - 2.5)))
    return X, y


def test_given_no_bounds_when_fitting_the_logit_then_it_is_scikit_learns_regression():
    from sklearn.linear_model import LogisticRegression

    from ml.modeling.train import fit_logistic

    X, y = _logit_data(3)
    coef, intercept = fit_logistic(X, y, np.random.default_rng(0), max_negatives_per_positive=10**6)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    ref = LogisticRegression(C=1.0, tol=1e-8, max_iter=1000).fit((X - mu) / sd, y)
    ref_coef = ref.coef_[0] / sd
    assert np.allclose(coef * sd, ref.coef_[0], atol=1e-3)
    assert intercept == pytest.approx(ref.intercept_[0] - (ref_coef * mu).sum(), abs=1e-3)


def test_given_media_held_nonnegative_when_fitting_then_a_medium_that_lowers_the_odds_gets_zero():
    """A medium is credited only for raising the chance of a big move: a feature whose true weight
    is negative is held at 0 and the positive ones keep their sign and about their size."""
    from ml.modeling.train import fit_logistic

    X, y = _logit_data(4)
    free, _ = fit_logistic(X, y, np.random.default_rng(0), max_negatives_per_positive=10**6)
    held, _ = fit_logistic(X, y, np.random.default_rng(0), max_negatives_per_positive=10**6,
                           nonnegative=np.array([True, True, True, True, False, False]))
    assert free[1] < 0 and free[3] < 0                   # unconstrained, they come out negative
    assert held[1] == 0.0 and held[3] == 0.0
    assert held[0] > 0 and held[2] > 0
    assert np.allclose(held[[0, 2]] * X.std(axis=0)[[0, 2]], free[[0, 2]] * X.std(axis=0)[[0, 2]], atol=0.1)
    assert held[5] > 0                                   # a free feature keeps its own estimate
