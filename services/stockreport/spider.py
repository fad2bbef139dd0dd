"""Daily prices. One unit per stock (and index): one chart request covering every KRX trading day
the bookmark ``stockreport:<code>`` ({first, last} covered) does not cover yet, plus the session
before them, whose close gives the first day's derived ``change`` (its own row is not published). A covered last day
that is today is fetched again (the close keeps moving after 15:30 on NXT)."""
from __future__ import annotations

import datetime as dt

from shared.crawling.days import CrawlPlan, krx_sessions
from shared.crawling.spider import SourceSpider

INDEXES = ("KOSPI", "KOSDAQ")
#: How far back a stock without a bookmark is fetched when no --from is given.
DEFAULT_HISTORY = dt.timedelta(days=365)
DAY = dt.timedelta(days=1)
#: How far back the session before a range is looked for (KRX's longest closure is under two weeks).
PREVIOUS_SESSION_WITHIN = dt.timedelta(days=14)


def missing_range(plan: CrawlPlan, covered: dict | None) -> tuple[dt.date, dt.date] | None:
    """The one [start, end] range of KRX trading days to fetch for a stock, or None."""
    today = plan.day()
    want_to = min(plan.last or today, today)
    if plan.first:
        want_from = plan.first
    elif covered:
        want_from = dt.date.fromisoformat(covered["last"])
    else:
        want_from = want_to - DEFAULT_HISTORY
    pieces = [(want_from, want_to)]
    if covered and not plan.force:
        first, last = dt.date.fromisoformat(covered["first"]), dt.date.fromisoformat(covered["last"])
        settled = last if last < today else last - DAY
        pieces = []
        if want_from < first:
            pieces.append((want_from, min(first - DAY, want_to)))
        if want_to > settled:
            pieces.append((max(settled + DAY, want_from), want_to))
    sessions = [d for lo, hi in pieces for d in krx_sessions(lo, hi)]
    return (min(sessions), max(sessions)) if sessions else None


def merge_coverage(covered: dict | None, start: str, end: str) -> dict:
    """The covered range after fetching [start, end]: merged when the two touch (no trading day
    between them), else the newer of the two, so a bookmark never claims a hole."""
    if not covered:
        return {"first": start, "last": end}
    first, last = covered["first"], covered["last"]
    if start > last:
        gap = krx_sessions(dt.date.fromisoformat(last) + DAY, dt.date.fromisoformat(start) - DAY)
    elif end < first:
        gap = krx_sessions(dt.date.fromisoformat(end) + DAY, dt.date.fromisoformat(first) - DAY)
    else:
        gap = []
    if gap:
        return {"first": start, "last": end} if end > last else covered
    return {"first": min(start, first), "last": max(end, last)}


class StockReportSpider(SourceSpider):
    service = "stockreport"
    needs_listing = True
    sources = ("naver_api",)

    @classmethod
    def preflight(cls, plan, bookmarks, settings) -> None:
        super().preflight(plan, bookmarks, settings)
        krx_sessions(plan.day(), plan.day())  # builds the XKRX calendar (about 2 s) before crawling

    def units(self) -> list[str]:
        codes = self.listing()
        return codes if self.plan.codes else [*codes, *(i for i in INDEXES if self.plan.takes(i))]

    def start_unit(self, unit: str):
        covered = self.bookmarks.get(f"{self.service}:{unit}")
        found = missing_range(self.plan, covered)
        if found is None:
            return
        start, end = found
        kind = "index" if unit in INDEXES else "item"
        # one session more than the range: the first day's change is derived from its close
        before = krx_sessions(start - PREVIOUS_SESSION_WITHIN, start - DAY)
        url = self.url("naver_api", f"/chart/domestic/{kind}/{unit}/day",
                       startDateTime=(before[-1] if before else start).strftime("%Y%m%d0000"),
                       endDateTime=end.strftime("%Y%m%d0000"))
        yield self.request(url, source="naver_api", parser="naver-chart-day", unit=unit,
                           meta={"range": (start.isoformat(), end.isoformat())})

    def on_page(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            start, end = response.meta["range"]
            yield from (r for r in records if r.trade_date.isoformat() >= start)  # not the extra session
            key = f"{self.service}:{response.meta['unit']}"
            covered = self.bookmarks.get(key)
            self.bookmarks.set(key, merge_coverage(covered, start, end))
        self.page_done(response, ok=records is not None)
