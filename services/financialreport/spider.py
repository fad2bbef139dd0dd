"""Statements. One unit per stock: ``/finance/annual`` and ``/finance/quarter`` (companies only:
ETFs and ETNs have none) and ``/integration`` (every security: PER/PBR/EPS/BPS, foreign ratio and
the industry). Statements are small and revised in place, so every run fetches them again."""
from __future__ import annotations

from shared.crawling.bookmarks import LISTING_KEY
from shared.crawling.spider import SourceSpider


class FinancialReportSpider(SourceSpider):
    service = "financialreport"
    needs_listing = True
    sources = ("naver_mstock",)

    def units(self) -> list[str]:
        return self.listing()

    def start_unit(self, unit: str):
        kinds = (self.bookmarks.get(LISTING_KEY) or {}).get("codes") or {}
        if kinds.get(unit, "stock") == "stock":
            for period in ("annual", "quarter"):
                yield self.request(self.url("naver_mstock", f"/api/stock/{unit}/finance/{period}"),
                                   source="naver_mstock", parser="naver-finance", unit=unit)
        yield self.request(self.url("naver_mstock", f"/api/stock/{unit}/integration"),
                           source="naver_mstock", parser="naver-integration", unit=unit)
