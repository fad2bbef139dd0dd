"""Market-wide media of the simulated world: CNN Fear & Greed (US sessions) and Eximbank FX rates."""
from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: (cur_unit, cur_nm, KRW per unit on the base day): the set and names Eximbank really sends.
CURRENCIES: list[tuple[str, str, float]] = [
    ("AED", "아랍에미리트 디르함", 354.96), ("AUD", "호주 달러", 870.48),
    ("BHD", "바레인 디나르", 3458.45), ("BND", "브루나이 달러", 969.84),
    ("CAD", "캐나다 달러", 982.0), ("CHF", "스위스 프랑", 1472.55), ("CNH", "위안화", 180.16),
    ("DKK", "덴마아크 크로네", 192.49), ("EUR", "유로", 1434.44), ("GBP", "영국 파운드", 1677.21),
    ("HKD", "홍콩 달러", 166.56), ("IDR(100)", "인도네시아 루피아", 8.58),
    ("JPY(100)", "일본 옌", 922.82), ("KRW", "한국 원", 1.0), ("KWD", "쿠웨이트 디나르", 4248.01),
    ("MYR", "말레이지아 링기트", 279.19), ("NOK", "노르웨이 크로네", 124.42),
    ("NZD", "뉴질랜드 달러", 809.66), ("SAR", "사우디 리얄", 347.56), ("SEK", "스웨덴 크로나", 121.21),
    ("SGD", "싱가포르 달러", 969.84), ("THB", "태국 바트", 37.17), ("USD", "미국 달러", 1303.8),
]
#: Fear & Greed components as graphdata names them -> (FearGreed field, raw level mean, raw sd).
COMPONENTS: list[tuple[str, str, float, float]] = [
    ("market_momentum_sp500", "market_momentum", 5200.0, 40.0),
    ("stock_price_strength", "stock_price_strength", 2.0, 0.4),
    ("stock_price_breadth", "stock_price_breadth", 1500.0, 40.0),
    ("put_call_options", "put_call_options", 0.85, 0.04),
    ("market_volatility_vix", "market_volatility", 18.0, 1.2),
    ("junk_bond_demand", "junk_bond_demand", 2.0, 0.05),
    ("safe_haven_demand", "safe_haven_demand", 3.0, 0.6),
]


@lru_cache(maxsize=4)
def _calendar(name: str):
    import exchange_calendars as xc
    return xc.get_calendar(name)


def _cache_file(calendar: str) -> Path:
    from importlib.metadata import version

    from shared.settings import get_settings
    return get_settings().cache_dir / "sessions" / f"{calendar}_xc{version('exchange_calendars')}.json"


def _read_cache(path: Path) -> tuple[dt.date, dt.date, list[str]] | None:
    try:
        doc = json.loads(path.read_text())
        return dt.date.fromisoformat(doc["first"]), dt.date.fromisoformat(doc["last"]), doc["sessions"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no cache yet, or a damaged one


def _write_cache(path: Path, first: dt.date, last: dt.date, days: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"first": first.isoformat(), "last": last.isoformat(), "sessions": days}))
        tmp.replace(path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as exc:
        log.warning("cannot cache calendar sessions", extra={"path": str(path), "error": str(exc)})


@lru_cache(maxsize=8)
def _all_sessions(calendar: str, need_first: dt.date, need_last: dt.date) -> tuple[list[str], dt.date, dt.date]:
    """Every session of ``calendar`` over a wide range covering [need_first, need_last], from the
    cache file when it covers the range, else built (seconds) and written back."""
    path = _cache_file(calendar)
    cached = _read_cache(path)
    if cached and cached[0] <= need_first and need_last <= cached[1]:
        return cached[2], cached[0], cached[1]
    first = min(need_first, dt.date(2000, 1, 1))
    last = max(need_last, dt.date.today() + dt.timedelta(days=365))
    import exchange_calendars as xc
    try:
        cal = xc.get_calendar(calendar, start=first.isoformat(), end=last.isoformat())
    except ValueError:  # beyond the calendar's known holidays: the default bounds, exact range
        cal = _calendar(calendar)
        first, last = need_first, need_last
    days = [ts.date().isoformat() for ts in cal.sessions
            if first.isoformat() <= ts.date().isoformat() <= last.isoformat()]
    _write_cache(path, first, last, days)
    return days, first, last


def sessions(calendar: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Trading days of an exchange_calendars calendar (XKRX, XNYS) between two dates, inclusive.
    Sessions are cached per process and in ``<cache_dir>/sessions/<calendar>_xc<version>.json``
    (2000-01-01 to a year ahead): building a calendar costs seconds in every process."""
    days, _first, _last = _all_sessions(calendar, min(start, end), max(start, end))
    lo = bisect.bisect_left(days, start.isoformat())
    hi = bisect.bisect_right(days, end.isoformat())
    return [dt.date.fromisoformat(d) for d in days[lo:hi]]


def rating(score: float) -> str:
    """CNN's rating words for a 0-100 score."""
    if score < 25:
        return "extreme fear"
    if score < 45:
        return "fear"
    if score <= 55:
        return "neutral"
    if score <= 75:
        return "greed"
    return "extreme greed"


def fear_greed_series(rng: np.random.Generator, days: list[dt.date]) -> dict:
    """Score and component scores (0-100) plus raw component levels for each US session."""
    n = len(days)
    score = np.empty(n)
    s = 50.0 + rng.normal(0, 15)
    for i in range(n):
        s = 50 + 0.93 * (s - 50) + rng.normal(0, 6.5)
        s = float(np.clip(s, 1.0, 99.0))
        score[i] = s
    out: dict = {"days": [d.isoformat() for d in days],
                 "score": [round(float(v), 10) for v in score], "components": {}}
    for name, _field, mean, sd in COMPONENTS:
        comp = np.clip(score + rng.normal(0, 12, n), 0, 100)
        level = mean + np.cumsum(rng.normal(0, sd, n)) * 0.3 + (comp - 50) / 50 * sd * 3
        out["components"][name] = {"score": [round(float(v), 1) for v in comp],
                                   "level": [round(float(v), 6) for v in level]}
    return out


def fx_series(rng: np.random.Generator, days: list[dt.date]) -> dict:
    """Deal base rates (KRW per unit) per KRX session for every currency, USD a random walk."""
    n = len(days)
    usd = 1380.0 * np.exp(np.cumsum(rng.normal(0, 0.0045, n)))
    rates: dict[str, list[float]] = {}
    for cur, _name, base in CURRENCIES:
        if cur == "KRW":
            rates[cur] = [1.0] * n
            continue
        cross = base / 1303.8 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
        rates[cur] = [round(float(v), 2) for v in usd * cross]
    return {"days": [d.isoformat() for d in days], "rates": rates}


def fx_spread(deal: float) -> tuple[float, float]:
    """Eximbank's cash-transfer buying (ttb) and selling (tts) rates around the deal rate."""
    return round(deal * 0.99, 2), round(deal * 1.01, 2)


def fmt_rate(value: float) -> str:
    """Eximbank's number text: thousands commas, up to 2 decimals, no trailing zeros ("1,303.8")."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
