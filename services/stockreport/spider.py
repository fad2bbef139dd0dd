"""Daily prices. One unit per stock (and index): one chart request covering every KRX trading day
its cursor (declared: ``CoveredRange``, {first, last} covered per stock) does not cover yet, plus
the session before them, whose close gives the first day's derived ``change`` (its own row is not
published). A covered last day that is today is fetched again (the close keeps moving after 15:30
on NXT)."""
from __future__ import annotations

import datetime as dt

from shared.crawling.days import krx_sessions
from shared.crawling.spider import SourceSpider

INDEXES = ("KOSPI", "KOSDAQ")
DAY = dt.timedelta(days=1)
#: How far back the session before a range is looked for (KRX's longest closure is under two weeks).
PREVIOUS_SESSION_WITHIN = dt.timedelta(days=14)


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
        found = self.cursor.missing(unit)
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
            self.cursor.fetched(response.meta["unit"], start, end)
        self.page_done(response, ok=records is not None)
