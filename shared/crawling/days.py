"""Calendars of a crawl: KST today, KRX trading days (exchange_calendars XKRX), plain day ranges."""
from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from functools import lru_cache

from shared.records import KST


def today_kst() -> dt.date:
    return dt.datetime.now(KST).date()


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every calendar day from ``first`` to ``last`` inclusive."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def weekdays_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [d for d in days_between(first, last) if d.weekday() < 5]


@lru_cache(maxsize=1)
def _xkrx():
    import exchange_calendars as xcals
    return xcals.get_calendar("XKRX", start="2000-01-01")


def krx_sessions(first: dt.date, last: dt.date) -> list[dt.date]:
    """KRX trading days from ``first`` to ``last`` inclusive (holidays and weekends left out).
    Days past the calendar's end are kept when they are weekdays."""
    return list(_krx_sessions(first, last))


@lru_cache(maxsize=4096)
def _krx_sessions(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    if last < first:
        return ()
    cal = _xkrx()
    end = cal.last_session.date()
    known = [s.date() for s in cal.sessions_in_range(first.isoformat(), min(last, end).isoformat())] \
        if first <= end else []
    return tuple(known + [d for d in weekdays_between(max(first, end + dt.timedelta(days=1)), last)])


@dataclass(frozen=True)
class CrawlPlan:
    """What one run was asked for: a day range (``first``/``last`` None: the service's default),
    codes (None: the listing the stockcode crawl learned), ``force`` (ignore bookmarks) and
    ``shard`` ((i, n): only the codes with :func:`shard_of` == i of n tasks)."""

    first: dt.date | None = None
    last: dt.date | None = None
    codes: tuple[str, ...] | None = None
    force: bool = False
    today: dt.date | None = None
    shard: tuple[int, int] | None = None

    def day(self) -> dt.date:
        return self.today or today_kst()

    def detail(self) -> dict:
        return {"from": self.first and self.first.isoformat(), "to": self.last and self.last.isoformat(),
                "codes": list(self.codes) if self.codes else None, "force": self.force,
                "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None}

    def takes(self, code: str) -> bool:
        """Does this run's shard hold ``code`` (no shard: every code)?"""
        return self.shard is None or shard_of(code, self.shard[1]) == self.shard[0]


def shard_of(code: str, shards: int) -> int:
    """The shard (0..shards-1) of a stock code: CRC-32 of the code, stable across processes,
    machines and Python versions (unlike ``hash()``)."""
    return zlib.crc32(code.encode("ascii")) % shards
