"""A test-only crawler of the closed finance.naver.com sise_day page (to see the 410 handled)."""
from __future__ import annotations

import sys

from shared.crawling.days import CrawlPlan
from shared.crawling.runner import run_crawl
from shared.crawling.spider import SourceSpider
from shared.settings import get_settings


class LegacySiseDaySpider(SourceSpider):
    service = "legacy-sise-day"
    sources = ("naver_finance",)

    def units(self):
        return list(self.plan.codes)

    def start_unit(self, unit):
        yield self.request(self.url("naver_finance", "/item/sise_day.naver", code=unit, page=1),
                           source="naver_finance", parser="legacy-sise-day", unit=unit)


if __name__ == "__main__":
    sys.exit(run_crawl(LegacySiseDaySpider, CrawlPlan(codes=tuple(sys.argv[1:])), get_settings()))
