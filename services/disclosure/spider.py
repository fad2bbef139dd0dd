"""Disclosures (공시). One unit per calendar day: DART's daily list for that day (``POST
/dsac001/search.ax``, 100 rows a page, newest first; the only source with the minute), every page
of it. Before the days, one OpenDART ``corpCode.xml`` (the corp code -> stock code map) and one
visit to ``/main.do`` (the session cookie the list needs). A row whose corp code maps to no stock
code is kept with ``stock_code`` None and counted (crawl_run detail ``unresolved``).

Its cursor (declared: ``DayDone.settling(7)``) bookmarks a day with its row count once the run
happens 7 days after it, and does not fetch it again unless ``--force``: today's list grows through
the evening, and late filings join past days' lists for a while. Default day:
today. A bad OpenDART key stops the run as a configuration error; the key never reaches logs or
the archive."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from shared.crawling.days import days_between
from shared.crawling.progress import UnitProgress
from shared.crawling.spider import CrawlRefused, SourceSpider
from shared.parsers.dart import daily_list_paging
from shared.parsers import ParseError, Response

PER_PAGE = 100
LIST_PATH = "/dsac001/search.ax"


def list_form(day: dt.date, page: int) -> dict[str, str]:
    """The daily list's form, as the site's own search sends it (all markets)."""
    return {"currentPage": str(page), "maxResults": str(PER_PAGE), "maxLinks": "10", "sort": "time",
            "series": "desc", "pageGrouping": "", "mdayCnt": "0", "selectDate": day.strftime("%Y.%m.%d")}


class DisclosureSpider(SourceSpider):
    service = "disclosure"
    sources = ("dart", "opendart")

    @classmethod
    def preflight(cls, plan, bookmarks, settings) -> None:
        super().preflight(plan, bookmarks, settings)
        key = settings.opendart_api_key
        if key is None or not key.get_secret_value().strip():
            raise CrawlRefused("OPENDART_API_KEY is not set (the OpenDART key, for corpCode.xml)")

    def units(self) -> list[str]:
        today = self.plan.day()
        days = days_between(self.plan.first, min(self.plan.last, today)) if self.plan.first else [today]
        return [d.strftime("%Y%m%d") for d in days]

    def request(self, url: str, **kwargs):
        """Every request keeps the source's delay: AutoThrottle would lower it towards the server's
        latency (down to DOWNLOAD_DELAY, 0.25 s), past DART's under-100-a-minute."""
        kwargs["meta"] = {**(kwargs.get("meta") or {}), "autothrottle_dont_adjust_delay": True}
        return super().request(url, **kwargs)

    async def start(self):
        units = self.units()
        self.progress = UnitProgress(self.service, len(units), self.config.progress)
        self.days = [u for u in units if not self.cursor.covers(u)]
        for _ in range(len(units) - len(self.days)):
            self.crawler.stats.inc_value("insertcoin/units_skipped")
            self.progress.advance()
        self.corp_stock: dict[str, str | None] = {}
        self.cookie = ""
        self.unresolved = self.unresolved_listed = 0
        if not self.days:
            return
        key = self.app_settings.opendart_api_key.get_secret_value().strip()
        yield self.request(self.url("opendart", "/api/corpCode.xml", crtfc_key=key), source="opendart",
                           parser="opendart-corp-code", unit=self.days[0], units=tuple(self.days),
                           callback=self.on_corp_codes)

    def on_corp_codes(self, response):
        corps = yield from self.parsed(response)
        if corps is not None:
            self.corp_stock = {c.corp_code: c.stock_code for c in corps}
            yield self.request(self.url("dart", "/main.do"), source="dart", parser="dart-session",
                               unit=self.days[0], units=tuple(self.days), callback=self.on_session,
                               meta={"archive": False})
        self.page_done(response, ok=corps is not None)

    def on_session(self, response):
        cookies = [c.decode("latin-1").split(";")[0].strip() for c in response.headers.getlist("Set-Cookie")]
        if response.status != 200 or not any(c.startswith("JSESSIONID=") for c in cookies):
            self.error(response, ParseError("dart-session", f"/main.do answered HTTP {response.status} "
                                                            "without a JSESSIONID cookie"))
            self.page_done(response, ok=False)
            return
        self.cookie = "; ".join(cookies)
        for unit in self.days:
            yield self.list_page(unit, 1)
        self.page_done(response)

    def list_page(self, unit: str, page: int):
        day = dt.datetime.strptime(unit, "%Y%m%d").date()
        form = list_form(day, page)
        request = self.request(self.url("dart", LIST_PATH), source="dart", parser="dart-daily-list", unit=unit,
                               callback=self.on_list, meta={"page": page, "archive_url": self.url(
                                   "dart", LIST_PATH) + "#" + urlencode(form)})
        headers = {**request.headers.to_unicode_dict(), "Content-Type": "application/x-www-form-urlencoded",
                   "Cookie": self.cookie}
        return request.replace(method="POST", body=urlencode(form), headers=headers)

    def on_list(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            unit = response.meta["unit"]
            if response.meta["page"] == 1:
                headers = {k.decode("latin-1"): b",".join(v).decode("latin-1") for k, v in response.headers.items()}
                paging = daily_list_paging(Response(body=response.body, url=response.url, headers=headers))
                self.cursor.note(unit, rows=paging.total)
                for page in range(2, paging.pages + 1):
                    yield self.list_page(unit, page)
            yield from (self.resolved(r) for r in records)
        self.page_done(response, ok=records is not None)

    def resolved(self, record):
        """The record with its stock code from corpCode.xml (None if the corp has none)."""
        stock = self.corp_stock.get(record.corp_code)
        if stock is None:
            self.unresolved += 1
            self.unresolved_listed += record.market is not None
            return record
        return record.model_copy(update={"stock_code": stock})

    def run_detail(self) -> dict:
        return {"unresolved": self.unresolved, "unresolved_listed": self.unresolved_listed,
                "days": len(getattr(self, "days", ()))}
