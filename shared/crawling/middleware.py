"""Downloader middlewares: retries with exponential backoff and jitter, and the archive; one
spider middleware that keeps bookmarks behind the records they cover."""
from __future__ import annotations

import logging
import random

from scrapy.utils.defer import deferred_to_future
from scrapy import exceptions as scrapy_errors
from twisted.internet.error import (ConnectError, ConnectionDone, ConnectionLost, DNSLookupError,
                                    TCPTimedOutError, TimeoutError)
from twisted.internet.task import deferLater
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from shared.crawling.archive import Archive
from shared.crawling.config import CrawlConfig
from shared.crawling.ledger import RecordBatch
from shared.parsers import PARSERS
from shared.records import Record

log = logging.getLogger(__name__)

#: Timeouts, refused or dropped connections, truncated bodies: worth another try.
TRANSIENT_ERRORS = tuple(getattr(scrapy_errors, name) for name in (
    "DownloadTimeoutError", "DownloadConnectionRefusedError", "DownloadFailedError", "ResponseDataLossError",
    "CannotResolveHostError") if hasattr(scrapy_errors, name)) + (
    TimeoutError, TCPTimedOutError, ConnectError, ConnectionDone, ConnectionLost, DNSLookupError,
    ResponseFailed, ResponseNeverReceived, OSError)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random = random) -> float:
    """Full-jitter exponential backoff: uniform in [0.5, 1] x min(cap, base * 2**attempt)."""
    return min(cap, base * (2 ** attempt)) * (0.5 + rng.random() / 2)


async def sleep(seconds: float) -> None:
    """Wait without blocking the reactor."""
    if seconds > 0:
        from twisted.internet import reactor  # imported late: Scrapy installs the asyncio reactor first
        await deferred_to_future(deferLater(reactor, seconds, lambda: None))


class BackoffRetryMiddleware:
    """Retries 429, 5xx and timeouts (``CRAWL_RETRY_TIMES`` at most), waiting
    ``backoff_delay`` before each retry (``Retry-After`` counts, capped at ``CRAWL_BACKOFF_MAX``).
    Other 4xx are final. A request's ``meta["backoff"]`` (seconds) is waited before it is sent,
    which is also how the spider backs off after a block page."""

    def __init__(self, config: CrawlConfig, stats):
        self.config = config
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(CrawlConfig.from_settings(crawler.settings), crawler.stats)

    async def process_request(self, request, spider=None):
        wait = request.meta.pop("backoff", 0)
        await sleep(wait)
        return None

    def process_response(self, request, response, spider=None):
        if response.status in self.config.retry_statuses:
            retry_after = response.headers.get(b"Retry-After")
            return self._retry(request, f"HTTP {response.status}", retry_after) or response
        return response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, TRANSIENT_ERRORS):
            return self._retry(request, type(exception).__name__, None)
        return None

    def _retry(self, request, reason: str, retry_after: bytes | None):
        attempt = request.meta.get("retry_times", 0)
        if attempt >= self.config.retry_times:
            self.stats.inc_value("insertcoin/retries_exhausted")
            log.warning("giving up after retries", extra={"url": _safe(request.url), "reason": reason,
                                                          "retries": attempt})
            return None
        delay = backoff_delay(attempt, self.config.backoff_base, self.config.backoff_max)
        if retry_after and retry_after.strip().isdigit():
            delay = min(max(delay, float(retry_after)), self.config.backoff_max)
        self.stats.inc_value("insertcoin/retries")
        self.stats.inc_value(f"insertcoin/retries/{reason}")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_times"] = attempt + 1
        retry.meta["backoff"] = delay
        retry.priority = request.priority + 1
        return retry


def _safe(url: str) -> str:
    from shared.crawling.archive import mask_secrets
    return mask_secrets(url)


class ArchiveMiddleware:
    """Archives every response body that reaches the spider side (also errors and block pages).
    Sits nearest the downloader, so each retried attempt is archived too (the last one wins)."""

    def __init__(self, archive: Archive | None, stats):
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        config = CrawlConfig.from_settings(crawler.settings)
        return cls(Archive(config.archive_dir) if config.archive_dir else None, crawler.stats)

    def process_response(self, request, response, spider=None):
        if self.archive is None or request.meta.get("archive") is False:
            return response
        service = getattr(spider, "service", None) or request.meta.get("service") or "unknown"
        headers = {k.decode("latin-1").lower(): b",".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        try:
            # a form POST names its form in the archived URL (one URL, many pages): meta archive_url
            self.archive.write(service=service, url=request.meta.get("archive_url") or response.url,
                               status=response.status,
                               headers=headers, body=response.body, parser=request.meta.get("parser"))
            self.stats.inc_value("insertcoin/archived")
        except OSError as err:
            self.stats.inc_value("insertcoin/archive_errors")
            log.error("could not archive a response", extra={"url": _safe(response.url), "error": str(err)})
        return response


class BookmarkOrderMiddleware:
    """Hands a callback's records to the pipeline as one :class:`RecordBatch`, and opens a
    :class:`~shared.crawling.ledger.DeliveryLedger` batch per callback output with the bookmarks
    the callback set, so that the pipeline writes a bookmark only after the records it covers
    were published."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_output(self, response, result, spider=None):
        track = _Tracking(spider or self.crawler.spider, _record_source(response))
        try:
            for element in result:
                yield from track.element(element)
            yield from track.end()
        finally:
            track.close()

    async def process_spider_output_async(self, response, result, spider=None):
        track = _Tracking(spider or self.crawler.spider, _record_source(response))
        try:
            async for element in result:
                for out in track.element(element):
                    yield out
            for out in track.end():
                yield out
        finally:
            track.close()


def _record_source(response) -> str | None:
    """The envelope source the page's parser declares for its records (e.g. a fallback page ranked
    below the source's JSON), or None for the service's own."""
    try:
        parser = PARSERS.get(response.meta.get("parser"))
    except AttributeError:  # no response, or one without a request
        return None
    return parser.source if parser else None


class _Tracking:
    """One callback output: its records gathered into one :class:`RecordBatch` (sent before any
    request that follows them, and at the end), and its batch in the spider's ledger."""

    def __init__(self, spider, source: str | None = None):
        self.source = source
        self.ledger = getattr(spider, "ledger", None)
        self.bookmarks = getattr(spider, "bookmarks", None)
        self.records: list[Record] = []
        if self.ledger is None or self.bookmarks is None:
            self.ledger = None
        else:
            self.batch = self.ledger.open()

    def element(self, element):
        self._attach()  # whatever the callback set while producing ``element`` waits for this batch
        if isinstance(element, Record):
            self.records.append(element)
            return
        yield from self._records()
        yield element

    def end(self):
        self._attach()
        yield from self._records()

    def _records(self):
        if self.records:
            batch, self.records = RecordBatch(self.records, self.source), []
            if self.ledger is not None:
                self.ledger.add(self.batch, batch)
            yield batch

    def _attach(self) -> None:
        if self.ledger is not None and self.bookmarks.unwritten:
            self.ledger.attach(self.batch, self.bookmarks.take_unwritten())

    def close(self) -> None:
        if self.ledger is not None:
            self._attach()
            self.ledger.close(self.batch)
