"""Disclosures as a medium and as a control (issue 16), on a synthetic world where filings move
stocks and the board only echoes them (tests/ml/disclosure_worlds.py)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.disclosures import disclosure_features, per_event_daily
from ml.features import build_panel
from ml.scoring import ScoringConfig, rolling_scores
from tests.ml.disclosure_worlds import disclosure_world

CONFIG = ScoringConfig(window=250, min_train=40, step=21, n_perm=99, n_boot=200, seed=0)


@pytest.fixture(scope="module")
def world():
    return disclosure_world(7)


def _year(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[scores.period_type == "year"].set_index(["clock", "medium"])


@pytest.fixture(scope="module")
def with_control(world):
    return _year(rolling_scores(build_panel(**world[0]), CONFIG)[0])


@pytest.fixture(scope="module")
def without_control(world):
    frames = {k: v for k, v in world[0].items() if k != "disclosures"}
    return _year(rolling_scores(build_panel(**frames), CONFIG)[0])


def test_given_filings_at_0859_0900_1529_1530_when_placed_then_before_open_and_after_close_are_predictive():
    days = np.array(["2026-09-24", "2026-09-25"], dtype="datetime64[D]")
    kst = [dt.datetime(2026, 9, 24, 8, 59), dt.datetime(2026, 9, 24, 9, 0), dt.datetime(2026, 9, 24, 15, 29),
           dt.datetime(2026, 9, 24, 15, 30)]
    filings = pd.DataFrame({"code": "005930", "disclosed_at": [t - dt.timedelta(hours=9) for t in kst],
                            "event_type": ["capital_raise", "other", "halt_warning", "supply_contract"]})
    f = disclosure_features(filings, days, np.array(["005930"]))
    assert f["predictive"]["disclosure_any"][:, 0].tolist() == [1.0, 1.0]      # 08:59 -> D; 15:30 -> D+1
    assert f["explanatory"]["disclosure_any"][:, 0].tolist() == [1.0, 0.0]     # 09:00 and 15:29 -> D
    assert f["explanatory"]["disclosure_count"][0, 0] == pytest.approx(np.log(3))
    assert f["explanatory"]["disclosure_material"][0, 0] == pytest.approx(np.log(2))   # "other" is routine
    assert f["predictive"]["disclosure_supply_contract"][:, 0].tolist() == [0.0, pytest.approx(np.log(2))]


def test_given_planted_filings_when_scoring_then_disclosure_passes_on_both_clocks(with_control):
    for clock in ("predictive", "explanatory"):
        row = with_control.loc[(clock, "disclosure")]
        assert row["significant"] and row["influence"] > 0, (clock, row.to_dict())
        assert row["rank"] == 1


def test_given_a_board_that_only_echoes_filings_when_disclosures_are_controlled_then_the_board_is_not_credited(
        with_control, without_control):
    for clock in ("predictive", "explanatory"):
        assert not with_control.loc[(clock, "board"), "significant"], with_control.loc[(clock, "board")].to_dict()
    # the same world scored without the control credits the echo: the control is what prevents it
    assert any(without_control.loc[(clock, "board"), "significant"] for clock in ("predictive", "explanatory"))


def test_given_the_world_when_lifting_per_event_type_then_material_types_lift_and_routine_ones_do_not(world):
    daily = per_event_daily(build_panel(**world[0]))
    mean = daily.groupby("medium")["lift"].mean()
    assert mean["disclosure:capital_raise"] > 3 and mean["disclosure:earnings_preliminary"] > 3
    assert mean["disclosure:other"] < 2
