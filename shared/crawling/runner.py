"""Run one crawler once: bookmarks in, Scrapy crawl, status out (an exit code and one line)."""
from __future__ import annotations

import datetime as dt
import logging
import sys

from shared import logs
from shared.crawling.bookmarks import Bookmarks, read_bookmarks
from shared.crawling.config import CrawlEnv, scrapy_settings
from shared.crawling.days import CrawlPlan
from shared.crawling.spider import CrawlRefused, SourceSpider
from shared.records import UTC, CrawlRun, new_run_id
from shared.settings import Settings

log = logging.getLogger(__name__)

#: crawl_run status -> exit code
EXIT_CODES = {"succeeded": 0, "failed": 1, "configuration": 2, "partial": 3, "blocked": 4}


def run_crawl(spider_cls: type[SourceSpider], plan: CrawlPlan, settings: Settings) -> int:
    """Crawl once with ``spider_cls``; prints one line on stderr unless the run succeeded."""
    run_id = new_run_id()
    logs.bind(run_id=run_id, service=spider_cls.service)
    try:
        env = CrawlEnv()
    except ValueError as err:
        return _fail(f"{spider_cls.service}: bad CRAWL_* setting: {err}", EXIT_CODES["configuration"])
    try:
        bookmarks = read_bookmarks(settings)
    except Exception as err:  # noqa: BLE001 - any broker failure: one clear line
        return _fail(f"{spider_cls.service}: cannot read bookmarks from Kafka at "
                     f"{settings.kafka_bootstrap_servers}: {err}", EXIT_CODES["failed"])
    try:
        spider_cls.preflight(plan, bookmarks, settings)
    except CrawlRefused as err:
        _publish_refusal(spider_cls.service, run_id, plan, settings, str(err))
        return _fail(f"{spider_cls.service}: configuration error: {err}", EXIT_CODES["configuration"])

    from scrapy.crawler import CrawlerProcess
    quiet_scrapy()
    process = CrawlerProcess({**scrapy_settings(settings, spider_cls.sources, browser=spider_cls.browser, env=env),
                              "LOG_INSTALL_ROOT_HANDLER": False})
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, plan=plan, bookmarks=bookmarks, run_id=run_id, app_settings=settings)
    quiet_scrapy()
    process.start()
    spider = crawler.spider
    outcome = getattr(spider, "outcome", None)
    if outcome is None:
        return _fail(f"{spider_cls.service}: the crawl did not finish (Kafka publisher or spider failed "
                     "to open; see the log above)", EXIT_CODES["failed"])
    status, message = outcome
    run = spider.crawl_run
    log.info("crawl finished", extra={"status": status, "requests": run.requests, "pages": run.pages,
                                      "records": run.records, "errors": run.errors,
                                      "seconds": round((run.finished_at - run.started_at).total_seconds(), 2)})
    if status == "succeeded":
        return 0
    code = EXIT_CODES["configuration"] if spider.stop_reason == "configuration_error" else EXIT_CODES[status]
    return _fail(f"{spider_cls.service}: {status}: {message}", code)


def quiet_scrapy() -> None:
    """Scrapy's own INFO lines (stats dumps, versions) stay out of our JSON log."""
    for noisy in ("scrapy", "scrapy-playwright", "scrapy_playwright", "twisted", "kafka", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _fail(line: str, code: int) -> int:
    print(line, file=sys.stderr)
    return code


def _publish_refusal(service: str, run_id: str, plan: CrawlPlan, settings: Settings, message: str) -> None:
    """A run refused before it started still leaves its crawl_run record (best effort)."""
    from shared.broker import Publisher
    now = dt.datetime.now(UTC)
    try:
        publisher = Publisher(settings, source=service, run_id=run_id)
        publisher.publish(CrawlRun(service=service, run_id=run_id, started_at=now, finished_at=now,
                                   status="failed", detail={"plan": plan.detail(), "message": message}))
        publisher.close()
    except Exception as err:  # noqa: BLE001
        log.warning("could not publish the refused run's crawl_run", extra={"error": repr(err)})


__all__ = ["Bookmarks", "run_crawl"]
