"""Ranked news. One unit per day: 8 sections x 2 pages (ranks 1-50, 51-100). A finished day
(before today, KST) is bookmarked ``news:<YYYYMMDD>`` and not fetched again (resumable
backfills) unless ``--force``. Default day: yesterday, whose ranking is final."""
from __future__ import annotations

import datetime as dt

from shared.crawling.days import days_between
from shared.crawling.spider import SourceSpider

SECTIONS = ("all", "pol", "eco", "soc", "int", "its", "spo", "ent")
PAGES = (1, 2)


class NewsSpider(SourceSpider):
    service = "news"
    sources = ("nate",)

    def units(self) -> list[str]:
        if self.plan.first:
            days = days_between(self.plan.first, self.plan.last)
        else:
            days = [self.plan.day() - dt.timedelta(days=1)]
        return [d.strftime("%Y%m%d") for d in days]

    def start_unit(self, unit: str):
        for section in SECTIONS:
            for page in PAGES:
                url = self.url("nate", "/rank/interest", sc=section, p="day", date=unit,
                               page=page if page > 1 else None)
                yield self.request(url, source="nate", parser="nate-ranking", unit=unit)
