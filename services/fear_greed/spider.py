"""Fear & Greed. One unit: ``graphdata/<since>`` (every day since ``--from``, else since the
newest day its cursor (declared: ``NewestDay``) holds, else the last year). When CNN refuses the JSON with 418, the page
``/markets/fear-and-greed`` is rendered in Chromium (``CHROMIUM_PATH``, never downloaded) and
its gauge read: the day's score and rating only, published with the envelope source
``fear-greed/page`` (declared by its parser), which the loader ranks below the JSON's: a fallback
never overwrites a day the JSON gave."""
from __future__ import annotations

import os

from shared.crawling.spider import SourceSpider

UNIT = "fear_greed"
#: The gauge is filled in by the page's script; wait until its timestamp is set.
RENDERED = ("() => { const t = document.querySelector('.market-fng-gauge__timestamp');"
            " return t && t.getAttribute('data-timestamp'); }")


class FearGreedSpider(SourceSpider):
    service = "fear-greed"
    sources = ("cnn_dataviz", "cnn_web")
    browser = True

    def units(self) -> list[str]:
        return [UNIT]

    def start_unit(self, unit: str):
        since = self.plan.first.isoformat() if self.plan.first else self.cursor.since(unit)
        path = "/index/fearandgreed/graphdata" + (f"/{since}" if since else "")
        yield self.request(self.url("cnn_dataviz", path), source="cnn_dataviz", parser="cnn-fear-greed",
                           unit=unit)

    def on_page(self, response):
        if response.status == 418 and not response.meta.get("playwright"):
            self.crawler.stats.inc_value("insertcoin/browser_fallbacks")
            yield self._rendered_page()
            self.page_done(response)
            return
        records = yield from self.parsed(response)
        kept = [r for r in records or () if self.within(r, "as_of_date", self.plan)]
        yield from kept
        if kept:
            self.cursor.saw(max(r.as_of_date for r in kept))
        self.page_done(response, ok=records is not None)

    def _rendered_page(self):
        if not os.access(self.app_settings.chromium_path, os.X_OK):
            self.stop("configuration_error",
                      f"CNN answered 418 and the browser fallback needs Chromium at CHROMIUM_PATH="
                      f"{self.app_settings.chromium_path}, which is not an executable")
        from scrapy_playwright.page import PageMethod
        return self.request(self.url("cnn_web", "/markets/fear-and-greed"), source="cnn_web",
                            parser="cnn-fear-greed-page", unit=UNIT,
                            meta={"playwright": True,
                                  "playwright_page_methods": [PageMethod("wait_for_function", RENDERED)]})
