"""Disclosures (DART filings, ``if_disclosure``) as a stock medium on both clocks, and as a
control for the others: a filing stamped before 09:00 KST is predictive for that day, one in
09:00-15:30 explanatory, one after 15:30 predictive for the next session (``assign_windows``).

Features per clock (days x stocks): ``disclosure_count`` = log(1 + filings), ``disclosure_material``
= log(1 + filings of a market-moving type: every event type but ``other`` and periodic reports),
``disclosure_any`` (the family's tail), and per event type ``disclosure_<type>`` (log1p counts,
used for the per-type daily lifts, not in the model). Corrections count as filings. Rows without a
stock code or a minute are not a stock's activity and are left out (counted by the loaders).

Because the medium sits in the joint model beside board, news and financial, each of their tests
(the permuted family contribution) measures what they add *beyond* disclosures: a board burst that
only echoes a filing adds nothing the filing did not already say.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from shared.parsers.dart_events import ROUTINE
from shared.records import EventType

EVENT_TYPES: tuple[str, ...] = EventType.__args__
FEATURES = ("disclosure_count", "disclosure_material")
TAIL = "disclosure_any"
COLUMNS = ["code", "disclosed_at", "event_type"]


def empty() -> pd.DataFrame:
    return pd.DataFrame({"code": pd.Series(dtype=str), "disclosed_at": pd.Series(dtype="datetime64[ns]"),
                         "event_type": pd.Series(dtype=str)})


def disclosure_features(filings: pd.DataFrame | None, days: np.ndarray, codes: np.ndarray) -> dict:
    """clock -> {disclosure_count, disclosure_material, disclosure_any, disclosure_<type>...}.
    ``filings``: code, disclosed_at (naive UTC), event_type."""
    from ml.features import CLOCKS, _code_index, _count, assign_windows

    filings = empty() if filings is None or filings.empty else filings.dropna(subset=["code", "disclosed_at"])
    shape = (len(days), len(codes))
    day, clock = assign_windows(filings["disclosed_at"].to_numpy(dtype="datetime64[ns]"), days)
    idx = _code_index(codes, filings["code"])
    kinds = filings["event_type"].to_numpy()
    out = {name: {} for name in CLOCKS}
    total = _count(day, clock, idx, np.ones(len(filings)), shape)
    material = _count(day, clock, idx, (~np.isin(kinds, ROUTINE)).astype(float), shape)
    for kind in EVENT_TYPES:
        counts = _count(day, clock, idx, (kinds == kind).astype(float), shape)
        for name in CLOCKS:
            out[name][f"disclosure_{kind}"] = np.log1p(counts[name])
    for name in CLOCKS:
        out[name]["disclosure_count"] = np.log1p(total[name])
        out[name]["disclosure_material"] = np.log1p(material[name])
        out[name][TAIL] = (total[name] > 0).astype(float)
    return out


def per_event_daily(panel) -> pd.DataFrame:
    """Descriptive daily lift per event type and clock (as ``train.daily_lift``): P(top 10 | a
    filing of that type) / P(top 10). ``medium`` is ``disclosure:<type>``; not a test."""
    from ml.features import CLOCKS
    from ml.modeling import train

    frames = []
    for clock in CLOCKS:
        for kind in EVENT_TYPES:
            active = panel.features[clock][f"disclosure_{kind}"] > 0
            f = train.daily_lift(active, panel.top, panel.valid)
            frames.append(f.assign(trade_date=panel.days, medium=f"disclosure:{kind}", clock=clock))
    return pd.concat(frames, ignore_index=True)


def from_records(rows: list[dict]) -> pd.DataFrame:
    """Disclosure records (``shared.records.Disclosure`` as JSON) as the frame the features take."""
    if not rows:
        return empty()
    frame = pd.DataFrame(rows)
    frame = frame[frame["stock_code"].notna() & frame["disclosed_at"].notna()]
    return pd.DataFrame({"code": frame["stock_code"].astype(str),
                         "disclosed_at": pd.to_datetime(frame["disclosed_at"], utc=True).dt.tz_convert(None),
                         "event_type": frame["event_type"].astype(str)})


def load(conn, since, until) -> pd.DataFrame:
    """Filings stamped in [since, until) with a stock code: code, disclosed_at (UTC), event_type."""
    from ml.dataset import read_frame

    return read_frame(
        conn,
        "SELECT stock_code AS code, disclosed_at AT TIME ZONE 'UTC' AS disclosed_at, event_type "
        "FROM if_disclosure WHERE stock_code IS NOT NULL AND disclosed_at >= %s AND disclosed_at < %s",
        (since, until), dtype={"code": str}, parse_dates=["disclosed_at"])
