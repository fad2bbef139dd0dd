"""The HTML report says its answer in words and shows nothing that misleads (issue 17 item 4)."""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from ml.report import write_report, yearly_sentences


def _yearly(significant_board: bool) -> pd.DataFrame:
    rows = []
    for clock in ("predictive", "explanatory"):
        for medium, scope in (("board", "stock"), ("news", "stock"), ("financial", "stock"),
                              ("fear_greed", "market"), ("fx", "market")):
            sig = significant_board and medium == "board" and clock == "predictive"
            rows.append({"year": "2026", "clock": clock, "scope": scope, "medium": medium,
                         "rank": 1 if sig else None, "influence": 0.46 if sig else 0.001,
                         "ci_low": 0.44 if sig else -0.01, "ci_high": 0.51 if sig else 0.01,
                         "p_value": 1e-6 if sig else 0.12, "p_adjusted": 1e-5 if sig else 1.0,
                         "significant": sig, "n_days": 23})
    return pd.DataFrame(rows)


def _frames(yearly: pd.DataFrame) -> dict:
    days = pd.bdate_range("2026-03-02", "2026-06-30")
    daily = pd.DataFrame([{"trade_date": d, "medium": m, "clock": c, "scope": "stock",
                           "lift": (0.0 if i % 5 == 0 else 2.0) if m == "board" else np.nan}
                          for i, d in enumerate(days) for m in ("board", "financial")
                          for c in ("predictive", "explanatory")])
    monthly = yearly.rename(columns={"year": "period"}).assign(period="2026-06", period_type="month")
    movers = pd.DataFrame({"trade_date": days[-1], "list": "abs", "rank": range(1, 11),
                           "code": [f"{i:06d}" for i in range(10)], "name": "가나", "r": 0.123,
                           **{f"{m}_{c}": np.log(2.0) for m in ("board", "news", "financial")
                              for c in ("predictive", "explanatory")}})
    return {"yearly": yearly, "monthly": monthly, "daily": daily, "movers": movers}


def test_given_no_medium_passed_when_writing_sentences_then_each_clock_says_no_medium_passed():
    sentences = yearly_sentences(_yearly(False))
    assert len(sentences) == 2 and all("no medium passed Holm's correction" in s for s in sentences)
    assert sentences[0].startswith("2026, before the 09:00 KST open")


def test_given_board_passed_when_writing_the_report_then_the_page_states_it_and_ranks_only_it(tmp_path):
    page = write_report(_frames(_yearly(True)), dt.date(2026, 3, 2), dt.date(2026, 6, 30), tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "board posts (stock-level: average precision +0.460 [+0.440, +0.510]" in text
    assert "Holm-adjusted p 1e-05" in text
    assert "Out-of-sample days scored: 23" in text and "Sessions between 2026-03-02 and 2026-06-30: 87" in text
    table = pd.read_html(io.StringIO(text))[0]
    assert table.loc[table["passed"] == "no", "rank"].eq("-").all()
    assert "+12.3%" in text and "x2.0 usual posts" in text and "1 events" in text   # r in %, units
    assert "0.6931" not in text
    assert "descriptive" in text
    for figure in ("influence.png", "daily_lift.png", "movers.png"):
        assert (tmp_path / figure).stat().st_size > 10_000
