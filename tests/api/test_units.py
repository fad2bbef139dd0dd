"""Pure parts of the API: Holm's adjustment, cursors, CSV and the SVG charts."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml.significance import holm
from services.api import svg
from services.api.http import Problem, decode_cursor, encode_cursor, to_csv


def test_given_textbook_pvalues_when_adjusting_then_holm_step_down_values():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06 (monotone), 0.06
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert list(holm([0.5, 0.9])) == [1.0, 1.0]                    # capped at 1
    assert list(holm([])) == []


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_given_any_pvalues_when_adjusting_then_never_below_the_raw_p_monotone_and_at_most_one(ps):
    adjusted = holm(ps)
    assert all(p <= a <= 1 for p, a in zip(ps, adjusted))
    ordered = [adjusted[i] for i in sorted(range(len(ps)), key=lambda i: ps[i])]
    assert ordered == sorted(ordered)


def test_given_a_cursor_when_decoding_then_its_values_come_back_and_a_forged_one_is_a_400():
    cursor = encode_cursor([dt.date(2025, 4, 30), "abs", 3])
    assert decode_cursor(cursor, 3) == ["2025-04-30", "abs", "3"]
    for bad in ("!!", encode_cursor(["a"]), "bnVsbA"):
        with pytest.raises(Problem) as err:
            decode_cursor(bad, 3)
        assert err.value.status == 400


def test_given_nested_values_when_writing_csv_then_json_cells_and_empty_nulls():
    text = to_csv([{"a": 1, "b": None, "c": [{"x": "한"}]}], ("a", "b", "c"))
    assert text == 'a,b,c\n1,,"[{""x"":""한""}]"\n'


def test_given_two_series_when_drawing_a_line_chart_then_both_paths_and_a_legend_entry_each():
    days = [dt.date(2025, 4, d) for d in (1, 2, 3)]
    out = svg.line_chart({"p": list(zip(days, [0.2, 0.4, 0.6])), "base": list(zip(days, [0.1] * 3))},
                         "t", "share", y_fmt=".0%", y_zero=True)
    assert out.count('class="series"') == 2 and out.count('class="tick legend"') == 2
    assert ">0%<" in out and ">60%<" in out
    assert "no data" in svg.line_chart({"p": []}, "t", "y")


def test_given_a_name_with_like_wildcards_when_escaping_then_they_match_only_themselves():
    from services.api.queries import _like

    assert _like("10%_A\\") == "10\\%\\_A\\\\"


def test_given_the_ml_workers_media_then_the_dashboard_names_every_one():
    from ml.features import MARKET_MEDIA, STOCK_MEDIA
    from services.api.dashboard import MEDIUM

    assert set(MEDIUM) == set(STOCK_MEDIA) | set(MARKET_MEDIA)


class _LastSecondOfTheMinute:
    """api_rate_take's contract (migration 0009) at a minute's last second: grants up to ``want``
    of what is left of the limit and says the minute ends in 1 s (rounded up)."""

    def __init__(self, limit: int):
        self.limit, self.taken, self.wants = limit, 0, []

    def one(self, _sql, params):
        _digest, _limit, want = params
        self.wants.append(want)
        granted = min(want, self.limit - self.taken)
        self.taken += granted
        return {"granted": granted, "retry_after": 1}


def test_given_the_last_second_of_a_minute_when_requests_come_then_the_limiter_takes_one_at_a_time():
    """A lease taken in the minute's last second expires at once: taking one at a time there loses
    at most the first lease's rest, where leasing on (the old limiter) spent 3 of the limit a request."""
    from services.api.http import RateLimiter

    limiter, db = RateLimiter(150), _LastSecondOfTheMinute(150)
    assert limiter.lease == 3
    allowed = sum(limiter.hit(db, "key") is None for _ in range(20))
    assert allowed == 20
    assert db.wants == [3] + [1] * 19
    assert db.taken == 20 + (limiter.lease - 1)
