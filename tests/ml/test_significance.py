"""Holm's correction and the significant set the report and the read API show."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml import significance


def test_given_three_pvalues_when_holm_adjusting_then_each_is_stepped_down_in_the_order_given():
    # sorted 0.01, 0.02, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.02), max(0.04, 1 x 0.04)
    got = significance.holm([0.04, 0.01, 0.02])
    assert np.allclose(got, [0.04, 0.03, 0.04])


def test_given_large_or_missing_pvalues_when_adjusting_then_they_cap_at_one():
    assert significance.holm([0.6, np.nan]).tolist() == [1.0, 1.0]
    assert significance.holm([]).tolist() == []


def test_given_ten_tests_when_asking_which_media_passed_then_only_those_under_alpha_after_holm_remain():
    rows = [{"medium": "board", "clock": "predictive", "influence": 0.2, "p_value": 0.004},
            {"medium": "news", "clock": "explanatory", "influence": 0.3, "p_value": 0.001},
            {"medium": "fx", "clock": "predictive", "influence": 0.1, "p_value": 0.01}]
    rows += [{"medium": "financial", "clock": c, "influence": 0.0, "p_value": 0.5} for c in "abcdefg"]
    passed = significance.significant_media(rows)
    assert [r["medium"] for r in passed] == ["news", "board"]           # best influence first
    assert np.isclose(passed[0]["p_adjusted"], 0.01) and np.isclose(passed[1]["p_adjusted"], 0.036)
    # fx: 0.01 x 8 = 0.08 > 0.05 although its raw p is 0.01


def test_given_a_small_p_with_no_influence_when_asking_then_the_medium_does_not_pass():
    assert significance.significant_media([{"medium": "news", "clock": "p", "influence": 0.0,
                                            "p_value": 1e-6}]) == []


def test_given_months_and_years_when_adjusting_then_each_year_and_each_years_months_are_one_family():
    frame = pd.DataFrame({"period_type": ["year", "year", "month", "month", "month"],
                          "period": ["2025", "2026", "2025-01", "2025-02", "2026-01"],
                          "influence": [0.1] * 5, "p_value": [0.03, 0.03, 0.03, 0.02, 0.03]})
    out = significance.adjust(frame)
    assert out["family"].tolist() == ["year 2025", "year 2026", "months of 2025", "months of 2025",
                                      "months of 2026"]
    assert np.allclose(out["p_adjusted"], [0.03, 0.03, 0.04, 0.04, 0.03])
    assert out["significant"].tolist() == [True, True, True, True, True]
