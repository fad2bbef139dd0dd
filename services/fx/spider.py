"""Exchange rates. One unit per weekday (Eximbank publishes on bank business days; a holiday
answers ``[]``). A past day is bookmarked ``fx:<YYYYMMDD>`` and not fetched again unless
``--force``. Default day: today (rates appear after about 11:00 KST). A bad key stops the run as a
configuration error; the key never reaches logs or the archive."""
from __future__ import annotations

from shared.crawling.days import weekdays_between
from shared.crawling.spider import CrawlRefused, SourceSpider


class FxSpider(SourceSpider):
    service = "fx"
    sources = ("koreaexim",)

    @classmethod
    def preflight(cls, plan, bookmarks, settings) -> None:
        super().preflight(plan, bookmarks, settings)
        key = settings.koreaexim_authkey
        if key is None or not key.get_secret_value().strip():
            raise CrawlRefused("KOREAEXIM_AUTHKEY is not set (the Korea Eximbank API key)")

    def units(self) -> list[str]:
        if self.plan.first:
            days = weekdays_between(self.plan.first, self.plan.last)
        else:
            days = [self.plan.day()]
        return [d.strftime("%Y%m%d") for d in days]

    def start_unit(self, unit: str):
        key = self.app_settings.koreaexim_authkey.get_secret_value().strip()
        url = self.url("koreaexim", "/site/program/financial/exchangeJSON", authkey=key, searchdate=unit,
                       data="AP01")
        yield self.request(url, source="koreaexim", parser="koreaexim-fx", unit=unit)
