"""The base of every crawler: requests with the source's headers, parsing through
``shared.parsers``, block pages backed off and counted, units of work (a stock, a day) tracked to
completion for bookmarks and the progress bar. Subclasses know URLs and paging only."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider

from shared.crawling.archive import mask_secrets
from shared.crawling.bookmarks import LISTING_KEY, Bookmarks
from shared.crawling.config import SOURCES, CrawlConfig, base_url
from shared.crawling.cursors import Cursor
from shared.crawling.days import CrawlPlan
from shared.crawling.middleware import backoff_delay
from shared.crawling.progress import UnitProgress
from shared.crawlers import CRAWLERS
from shared.parsers import Blocked, ConfigurationError, ParseError, QuotaExceeded, Response, parse
from shared.records import Record
from shared.settings import Settings

log = logging.getLogger(__name__)


class CrawlRefused(Exception):
    """A run that cannot start (missing key, no listing yet): a configuration error, one line."""


class SourceSpider(scrapy.Spider):
    """Subclasses set ``service`` (CLI name), ``sources`` (hosts used), optionally
    ``needs_listing``, and implement ``units`` and ``start_unit``; the bookmark cursor is the one
    the crawler's declaration names (:mod:`shared.crawlers`), built per run as ``self.cursor``;
    callbacks use ``records = yield from self.parsed(response)`` and end with
    ``self.page_done(response)`` (a callback that does not is caught: its page is given up, loudly,
    and its unit finishes as failed)."""

    service: str = ""
    sources: tuple[str, ...] = ()
    browser: bool = False

    def __init__(self, *, plan: CrawlPlan, bookmarks: Bookmarks, run_id: str, app_settings: Settings,
                 **kwargs):
        super().__init__(name=self.service, **kwargs)
        self.plan = plan
        self.bookmarks = bookmarks
        self.run_id = run_id
        self.app_settings = app_settings
        self.pending: dict[str, int] = defaultdict(int)
        self.failed_units: set[str] = set()
        self.finished_units = 0
        self.stop_reason: str | None = None
        self.stop_message: str | None = None
        self.first_error: str | None = None
        self.consecutive_blocks = 0
        self.outcome: tuple[str, str] | None = None
        self.progress: UnitProgress | None = None
        cursor = type(self).cursor_type or getattr(CRAWLERS.get(self.service), "cursor", None)
        self.cursor: Cursor | None = cursor(self) if cursor else None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = CrawlConfig.from_settings(crawler.settings)
        return spider

    # -- what a subclass provides -------------------------------------------------------------
    #: the bookmark cursor (:mod:`shared.crawling.cursors`), when not the declaration's (a test's
    #: spider): units it covers are skipped, and a unit finished without a failed page is recorded
    cursor_type: Callable[..., Cursor] | None = None
    #: the run needs the stockcode crawl's listing (or --codes): refused before Scrapy starts
    needs_listing: bool = False

    @classmethod
    def preflight(cls, plan: CrawlPlan, bookmarks: Bookmarks, settings: Settings) -> None:
        """Raise ``CrawlRefused`` if the run cannot start (checked before Scrapy starts). A
        subclass that overrides it calls ``super().preflight(...)``."""
        if cls.needs_listing:
            cls.require_listing(plan, bookmarks)

    def units(self) -> list[str]:
        """The units of work of this run (stocks, days), in crawl order."""
        raise NotImplementedError

    def start_unit(self, unit: str) -> Iterable[scrapy.Request]:
        """The first requests of a unit; none means there is nothing new to fetch for it."""
        raise NotImplementedError

    def unit_done(self, unit: str) -> None:
        """Called once every page of ``unit`` was parsed (before its cursor records it)."""

    def before_close(self) -> None:
        """Called by the pipeline before the run's status is decided (e.g. to save a snapshot)."""

    def run_detail(self) -> dict:
        """Counts of this service for its ``crawl_run`` detail (e.g. rows left unresolved)."""
        return {}

    # -- helpers ------------------------------------------------------------------------------
    def url(self, source: str, path: str, **query) -> str:
        """``path`` on the source's base URL with ``query`` (in order, values as given)."""
        q = urlencode({k: v for k, v in query.items() if v is not None})
        return base_url(self.app_settings, source) + path + (f"?{q}" if q else "")

    def request(self, url: str, *, source: str, parser: str, unit: str, callback=None,
                meta: dict | None = None, priority: int = 0, units: tuple[str, ...] = ()) -> scrapy.Request:
        """A request carrying the source's headers and the parser's name, counted to ``unit`` (or
        to each of ``units``, for a request that serves several units at once)."""
        units = units or (unit,)
        for each in units:
            self.pending[each] += 1
        full_meta = {"parser": parser, "unit": unit, "units": units, "service": self.service, "source": source,
                     "handle_httpstatus_all": True, **(meta or {})}
        full_meta["page_callback"] = callback or self.on_page
        return scrapy.Request(url, headers=SOURCES[source].headers, callback=self._settled,
                              errback=self.on_failure, meta=full_meta, priority=priority, dont_filter=True)

    def _settled(self, response):
        """Every page is settled exactly once: a callback that returns (or raises) without calling
        ``page_done`` has its page given up here, loudly, so its unit still finishes (as failed: no
        bookmark moves past data that was not seen)."""
        callback = response.meta["page_callback"]
        try:
            yield from callback(response) or ()
        finally:
            if not response.meta.get("page_settled"):
                log.error("page not settled by its callback: given up", extra={
                    "callback": getattr(callback, "__name__", repr(callback)), "url": mask_secrets(response.url)})
                self.page_done(response, ok=False)

    def listing(self, security_types: tuple[str, ...] | None = None) -> list[str]:
        """``--codes`` if given, else the codes of the stockcode crawl's snapshot bookmark; only
        those of this run's ``--shard``."""
        if self.plan.codes:
            codes = list(self.plan.codes)
        else:
            snapshot = (self.bookmarks.get(LISTING_KEY) or {}).get("codes") or {}
            codes = sorted(c for c, kind in snapshot.items() if not security_types or kind in security_types)
        return [c for c in codes if self.plan.takes(c)]

    @staticmethod
    def require_listing(plan: CrawlPlan, bookmarks: Bookmarks) -> None:
        if not plan.codes and not (bookmarks.get(LISTING_KEY) or {}).get("codes"):
            raise CrawlRefused("no stock listing yet: run `insertcoin crawl stockcode` first or pass --codes")

    # -- Scrapy entry points ------------------------------------------------------------------
    async def start(self):
        units = self.units()
        self.progress = UnitProgress(f"{self.service}", len(units), self.config.progress)
        for unit in units:
            requests = [] if self.cursor and self.cursor.covers(unit) else list(self.start_unit(unit))
            if not requests:
                self.crawler.stats.inc_value("insertcoin/units_skipped")
                self.progress.advance()
            for request in requests:
                yield request

    def on_page(self, response):
        records = yield from self.parsed(response)
        yield from records or ()
        self.page_done(response, ok=records is not None)

    def parsed(self, response) -> Iterator:
        """Run the request's parser. Returns the records, or None when the page was refused (a
        block page is retried after a backoff; several in a row stop the run). The caller ends
        with ``self.page_done(response, ok=records is not None)``."""
        request = response.request
        headers = {k.decode("latin-1"): b",".join(v).decode("latin-1") for k, v in response.headers.items()}
        page = Response(body=response.body, url=response.url, headers=headers, status=response.status)
        stats = self.crawler.stats
        try:
            records = parse(request.meta["parser"], page)
        except ConfigurationError as err:
            self.error(response, err)
            self.stop("configuration_error", f"configuration error: {err}")
        except QuotaExceeded as err:
            self.error(response, err)
            self.stop("quota_exceeded", f"quota exceeded: {err}")
        except Blocked as err:
            stats.inc_value("insertcoin/blocks")
            self.consecutive_blocks += 1
            if self.consecutive_blocks >= self.config.max_blocks:
                self.error(response, err)
                self.stop("blocked", f"{self.consecutive_blocks} block pages in a row, last "
                                     f"{mask_secrets(response.url)}: {err}")
            attempt = request.meta.get("block_retries", 0)
            if attempt < self.config.retry_times:
                retry = request.replace(dont_filter=True)
                retry.meta["block_retries"] = attempt + 1
                retry.meta["backoff"] = backoff_delay(attempt, self.config.block_backoff,
                                                      max(self.config.block_backoff * 8, self.config.backoff_max))
                for unit in self._units_of(request):  # the retry carries the page on
                    self.pending[unit] += 1
                request.meta["superseded"] = True
                yield retry
                return None
            self.error(response, err)
            return None
        except ParseError as err:
            self.error(response, err)
            return None
        self.consecutive_blocks = 0
        stats.inc_value("insertcoin/pages")
        return records

    def on_failure(self, failure):
        request = failure.request
        self.crawler.stats.inc_value("insertcoin/errors")
        message = f"{type(failure.value).__name__}: {failure.value} ({mask_secrets(request.url)})"
        self.first_error = self.first_error or message
        log.warning("request failed", extra={"url": mask_secrets(request.url), "error": message})
        self.page_done(request, ok=False)

    def error(self, response, err: Exception) -> None:
        self.crawler.stats.inc_value("insertcoin/errors")
        message = f"{err} ({mask_secrets(response.url)})"
        self.first_error = self.first_error or message
        log.warning("page refused", extra={"url": mask_secrets(response.url), "error": str(err)})

    def stop(self, reason: str, message: str) -> None:
        """Stop the run now with ``reason`` (blocked, configuration_error, quota_exceeded)."""
        if self.stop_reason is None:
            self.stop_reason, self.stop_message = reason, message
        raise CloseSpider(reason)

    def page_done(self, response_or_request, *, ok: bool = True) -> None:
        """One page of a unit is finished (parsed, or given up when ``ok`` is False)."""
        request = getattr(response_or_request, "request", None) or response_or_request
        if request.meta.get("page_settled"):
            return  # settled already (the guard in _settled never counts a page twice)
        request.meta["page_settled"] = True
        superseded = request.meta.get("superseded", False)  # a block page whose retry is on its way
        for unit in self._units_of(request):
            self.pending[unit] -= 1
            if not ok and not superseded:
                self.failed_units.add(unit)
            if self.pending[unit] == 0:
                if unit not in self.failed_units:
                    self.unit_done(unit)
                    if self.cursor:
                        self.cursor.finish(unit)
                self.finished_units += 1
                if self.progress:
                    self.progress.advance()

    @staticmethod
    def _units_of(request) -> tuple[str, ...]:
        return request.meta.get("units") or (request.meta["unit"],)

    @staticmethod
    def within(record: Record, attribute: str, plan: CrawlPlan) -> bool:
        """Is the record's date ``attribute`` inside the asked range (no range: always)?"""
        value = getattr(record, attribute)
        value = value.date() if hasattr(value, "date") and callable(value.date) else value
        return (plan.first is None or value >= plan.first) and (plan.last is None or value <= plan.last)
