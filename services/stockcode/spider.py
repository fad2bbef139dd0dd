"""Listing and sectors. Units: each market's ranking, KIND's download, the industry groups (every
page of every group's members, by the group's ``totalCount``, as the rankings page by theirs).
At the end of a complete run the codes it learned are left in the bookmark ``stockcode:listing``
(code -> security type), which the per-stock crawlers read instead of a database."""
from __future__ import annotations

import math

from shared.crawling.bookmarks import LISTING_KEY
from shared.crawling.spider import SourceSpider
from shared.parsers import Response, industry_group_sizes, market_value_last_page
from shared.records import Sector, StockListing, StockSector

MARKETS = ("KOSPI", "KOSDAQ")
PAGE_SIZE = 100


class StockCodeSpider(SourceSpider):
    service = "stockcode"
    sources = ("naver_mstock", "kind")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.codes: dict[str, str] = {}

    def units(self) -> list[str]:
        return [*MARKETS, "kind", "industry"]

    def start_unit(self, unit: str):
        if unit in MARKETS:
            yield self._market_page(unit, 1)
        elif unit == "kind":
            yield self.request(self.url("kind", "/corpgeneral/corpList.do", method="download"),
                               source="kind", parser="kind-corp-list", unit=unit)
        else:
            yield self.request(self.url("naver_mstock", "/api/stocks/industry", page=1, pageSize=PAGE_SIZE),
                               source="naver_mstock", parser="naver-industry", unit=unit,
                               callback=self.on_industry)

    def _market_page(self, market: str, page: int):
        return self.request(self.url("naver_mstock", f"/api/stocks/marketValue/{market}", page=page,
                                     pageSize=PAGE_SIZE),
                            source="naver_mstock", parser="naver-market-value", unit=market,
                            callback=self.on_market, meta={"page": page})

    def on_market(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            yield from self._learn(records)
            if response.meta["page"] == 1:
                page = Response(body=response.body, url=response.url)
                for n in range(2, market_value_last_page(page) + 1):
                    yield self._market_page(response.meta["unit"], n)
        self.page_done(response, ok=records is not None)

    def on_page(self, response):  # KIND and industry members
        records = yield from self.parsed(response)
        yield from self._learn(records or ())
        self.page_done(response, ok=records is not None)

    def on_industry(self, response):
        records = yield from self.parsed(response)
        sizes = industry_group_sizes(Response(body=response.body, url=response.url)) if records else {}
        for record in records or ():
            yield record
            if isinstance(record, Sector):
                pages = max(1, math.ceil(sizes.get(record.sector_code, 0) / PAGE_SIZE))
                for page in range(1, pages + 1):
                    yield self._group_page(record.sector_code, page, last=page == pages)
        self.page_done(response, ok=records is not None)

    def _group_page(self, group: str, page: int, *, last: bool):
        return self.request(self.url("naver_mstock", f"/api/stocks/industry/{group}", page=page, pageSize=PAGE_SIZE),
                            source="naver_mstock", parser="naver-industry", unit="industry",
                            callback=self.on_group, meta={"group": group, "page": page, "last": last})

    def on_group(self, response):
        records = yield from self.parsed(response)
        yield from records or ()
        meta = response.meta
        members = sum(isinstance(r, StockSector) for r in records or ())
        if meta["last"] and members >= PAGE_SIZE:  # a full last page: the group grew since its count
            yield self._group_page(meta["group"], meta["page"] + 1, last=True)
        self.page_done(response, ok=records is not None)

    def _learn(self, records):
        for record in records:
            if isinstance(record, StockListing):
                # Naver knows the security type; KIND lists companies (stocks) only.
                if record.security_type or record.code not in self.codes:
                    self.codes[record.code] = record.security_type or "stock"
            yield record

    def before_close(self) -> None:
        stats = self.crawler.stats
        complete = (self.stop_reason is None and not self.failed_units
                    and self.finished_units == len(self.units()) and not stats.get_value("insertcoin/errors"))
        if complete and self.codes:
            self.bookmarks.set(LISTING_KEY, {"codes": dict(sorted(self.codes.items())),
                                             "run_id": self.run_id})
