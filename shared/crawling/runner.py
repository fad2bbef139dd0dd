"""Run one crawler once: bookmarks in, Scrapy crawl, status out (an exit code and one line)."""
from __future__ import annotations

import datetime as dt
import logging
import signal
import sys

from shared import logs
from shared.crawling.bookmarks import LISTING_KEY, Bookmarks, read_bookmarks
from shared.crawling.config import CrawlEnv, scrapy_settings
from shared.crawling.days import CrawlPlan
from shared.crawling.spider import CrawlRefused, SourceSpider
from shared.errors import UserError, one_line, wait_for_kafka
from shared.records import UTC, CrawlRun, new_run_id
from shared.settings import Settings

log = logging.getLogger(__name__)

#: crawl_run status -> exit code (an interrupted run exits 128 + the signal: 130 or 143)
EXIT_CODES = {"succeeded": 0, "failed": 1, "configuration": 2, "partial": 3, "blocked": 4}


def run_crawl(spider_cls: type[SourceSpider], plan: CrawlPlan, settings: Settings) -> int:
    """Crawl once with ``spider_cls``; prints one line on stderr unless the run succeeded."""
    run_id = new_run_id()
    logs.bind(run_id=run_id, service=spider_cls.service)
    try:
        env = CrawlEnv()
    except ValueError as err:
        return _fail(f"{spider_cls.service}: bad CRAWL_* setting: {one_line(err, 'CRAWL_')}",
                     EXIT_CODES["configuration"])
    wait_for_kafka(settings.kafka_bootstrap_servers)
    try:
        bookmarks = read_bookmarks(settings)
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - any broker failure: one clear line
        return _fail(f"{spider_cls.service}: cannot read bookmarks from Kafka at "
                     f"{settings.kafka_bootstrap_servers}: {one_line(err)}", EXIT_CODES["failed"])
    warn_unlisted(plan, bookmarks)
    try:
        spider_cls.preflight(plan, bookmarks, settings)
    except CrawlRefused as err:
        _publish_unstarted(spider_cls.service, run_id, plan, settings, str(err))
        return _fail(f"{spider_cls.service}: configuration error: {err}", EXIT_CODES["configuration"])

    quiet_scrapy()
    process = _process({**scrapy_settings(settings, spider_cls.sources, browser=spider_cls.browser, env=env),
                        "LOG_INSTALL_ROOT_HANDLER": False})
    crawler = process.create_crawler(spider_cls)
    failures: list = []
    process.crawl(crawler, plan=plan, bookmarks=bookmarks, run_id=run_id,
                  app_settings=settings).addErrback(failures.append)
    quiet_scrapy()
    process.start()
    spider = crawler.spider
    outcome = getattr(spider, "outcome", None)
    if outcome is None:
        if process.interrupted_by:
            message = f"stopped by {signal.Signals(process.interrupted_by).name} before the crawl started"
            _publish_unstarted(spider_cls.service, run_id, plan, settings, message, status="interrupted")
            return _fail(f"{spider_cls.service}: interrupted: {message}", 128 + process.interrupted_by)
        if failures:  # raised inside Twisted (opening the spider or the pipeline)
            error = failures[0].value
            log.debug("crawl failed to start", exc_info=(type(error), error, error.__traceback__))
            code = EXIT_CODES["configuration"] if isinstance(error, ValueError) else EXIT_CODES["failed"]
            return _fail(f"{spider_cls.service}: the crawl could not start: {one_line(error)}", code)
        return _fail(f"{spider_cls.service}: the crawl did not finish (Kafka publisher or spider failed "
                     "to open; see the log above)", EXIT_CODES["failed"])
    status, message = outcome
    run = spider.crawl_run
    log.info("crawl finished", extra={"status": status, "requests": run.requests, "pages": run.pages,
                                      "records": run.records, "errors": run.errors,
                                      "seconds": round((run.finished_at - run.started_at).total_seconds(), 2)})
    if status == "succeeded":
        if message:  # a run that did nothing says why
            print(f"{spider_cls.service}: {message}", file=sys.stderr)
        return 0
    if status == "interrupted":
        return _fail(f"{spider_cls.service}: {status}: {message}", 128 + process.interrupted_by)
    code = EXIT_CODES["configuration"] if spider.stop_reason == "configuration_error" else EXIT_CODES[status]
    return _fail(f"{spider_cls.service}: {status}: {message}", code)


def _process(settings: dict):
    """A CrawlerProcess that remembers the signal (SIGINT, SIGTERM) that stopped it, and tells the
    spider, whose run is then recorded ``interrupted`` rather than ``succeeded``."""
    from scrapy.crawler import CrawlerProcess

    class StoppableProcess(CrawlerProcess):
        interrupted_by: int | None = None

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Scrapy installs its handlers once the reactor runs; a signal before then stops us too.
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, self._signal_shutdown)

        def _signal_shutdown(self, signum, frame):
            self.interrupted_by = self.interrupted_by or signum
            for crawler in self.crawlers:  # the pipeline reads it when it records the run
                crawler.interrupted_by = self.interrupted_by
            super()._signal_shutdown(signum, frame)

    return StoppableProcess(settings)


def warn_unlisted(plan: CrawlPlan, bookmarks: Bookmarks) -> list[str]:
    """``--codes`` that the stockcode crawl's listing does not hold: named in a warning (the run
    still asks for them: the listing may be older than a new listing)."""
    listing = (bookmarks.get(LISTING_KEY) or {}).get("codes") or {}
    unlisted = [code for code in plan.codes or () if listing and code not in listing]
    if unlisted:
        log.warning("codes not in the listing", extra={"codes": unlisted})
        print(f"warning: not in the stock listing (crawled anyway): {', '.join(unlisted)}", file=sys.stderr)
    return unlisted


def quiet_scrapy() -> None:
    """Scrapy's own INFO lines (stats dumps, versions) stay out of our JSON log."""
    for noisy in ("scrapy", "scrapy-playwright", "scrapy_playwright", "twisted", "kafka", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _fail(line: str, code: int) -> int:
    print(line, file=sys.stderr)
    return code


def _publish_unstarted(service: str, run_id: str, plan: CrawlPlan, settings: Settings, message: str,
                       status: str = "failed") -> None:
    """A run refused or stopped before it started still leaves its crawl_run record (best effort)."""
    from shared.broker import Publisher
    now = dt.datetime.now(UTC)
    try:
        publisher = Publisher(settings, source=service, run_id=run_id)
        publisher.publish(CrawlRun(service=service, run_id=run_id, started_at=now, finished_at=now,
                                   status=status, detail={"plan": plan.detail(), "message": message}))
        publisher.close()
    except Exception as err:  # noqa: BLE001
        log.warning("could not publish the unstarted run's crawl_run", extra={"error": repr(err)})


__all__ = ["Bookmarks", "run_crawl"]
