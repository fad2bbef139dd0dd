"""A simulated world's financial events as the ML worker's frames: KST publication times to naive
UTC, and onto the two clocks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.truth import financial_events_from_truth
from ml.features import financial_features

LINES = (
    '{"code":"343980","period_type":"quarter","period":"2025-03","kind":"estimate_revision",'
    '"published_at":"2025-05-12T16:05:00+09:00"}\n'
    '{"code":"005930","period_type":"quarter","period":"2025-03","kind":"new_statement",'
    '"published_at":"2025-05-13T08:10:00+09:00"}\n'
    '{"code":"005930","period_type":"annual","period":"2025-12","kind":"estimate_revision",'
    '"published_at":"2025-05-13T09:00:00+09:00"}\n'
    '{"code":"343980","period_type":"quarter","period":"2025-03","kind":"new_statement",'
    '"published_at":"2025-05-13T15:29:59+09:00"}\n'
)


def test_given_kst_publication_times_when_reading_truth_events_then_they_become_naive_utc(tmp_path):
    path = tmp_path / "financial_events.jsonl"
    path.write_text(LINES)
    events = financial_events_from_truth(path)
    assert events["code"].tolist() == ["343980", "005930", "005930", "343980"]
    assert events["kind"].tolist() == ["estimate_revision", "new_statement", "estimate_revision", "new_statement"]
    assert events["event_at"].astype(str).tolist() == [
        "2025-05-12 07:05:00", "2025-05-12 23:10:00", "2025-05-13 00:00:00", "2025-05-13 06:29:59"]


def test_given_truth_events_around_the_open_when_placing_them_then_overnight_is_predictive_and_session_explanatory(
        tmp_path):
    path = tmp_path / "financial_events.jsonl"
    path.write_text(LINES)
    days = np.array(["2025-05-12", "2025-05-13"], dtype="datetime64[D]")
    codes = np.array(["005930", "343980"])
    out = financial_features(financial_events_from_truth(path), days, codes)
    one = np.log1p(1.0)
    # 2025-05-13: 343980's revision (16:05 on the 12th) and 005930's statement (08:10) come before
    # the open; 005930's revision at 09:00 sharp and 343980's statement at 15:29:59 are in session.
    assert out["predictive"]["financial_revision"].tolist() == [[0, 0], [0, pytest.approx(one)]]
    assert out["predictive"]["financial_new"].tolist() == [[0, 0], [pytest.approx(one), 0]]
    assert out["explanatory"]["financial_revision"].tolist() == [[0, 0], [pytest.approx(one), 0]]
    assert out["explanatory"]["financial_new"].tolist() == [[0, 0], [0, pytest.approx(one)]]


def test_given_an_unknown_event_kind_when_reading_truth_events_then_it_names_the_kind(tmp_path):
    path = tmp_path / "financial_events.jsonl"
    path.write_text('{"code":"005930","period_type":"quarter","period":"2025-03","kind":"dividend",'
                    '"published_at":"2025-05-13T08:10:00+09:00"}\n')
    with pytest.raises(ValueError, match="dividend"):
        financial_events_from_truth(path)


def test_given_an_empty_events_file_when_reading_then_an_empty_frame_with_the_columns_comes_back(tmp_path):
    path = tmp_path / "financial_events.jsonl"
    path.write_text("")
    events = financial_events_from_truth(path)
    assert list(events.columns) == ["code", "event_at", "kind"] and events.empty
    assert pd.api.types.is_datetime64_dtype(events["event_at"])
