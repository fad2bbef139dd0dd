"""The one pipeline of every crawler: records to Kafka through ``shared.broker.Publisher``, then
the run's ``crawl_run`` record and its bookmarks, written only once the records are delivered."""
from __future__ import annotations

import datetime as dt
import logging

from shared.broker import Publisher
from shared.crawling.bookmarks import send_bookmarks
from shared.records import UTC, CrawlRun, Record

log = logging.getLogger(__name__)

#: Scrapy stats -> crawl_run detail keys
_DETAIL_STATS = {"insertcoin/retries": "retries", "insertcoin/blocks": "blocks",
                 "insertcoin/archived": "archived", "insertcoin/units_skipped": "units_skipped",
                 "insertcoin/retries_exhausted": "retries_exhausted"}
#: stop reason -> crawl_run status
_STOP_STATUS = {"blocked": "blocked", "configuration_error": "failed", "quota_exceeded": "failed"}


class KafkaPipeline:
    """Opens the publisher in ``open_spider``; ``close_spider`` flushes the records, then
    publishes the ``crawl_run`` record and the bookmarks and closes (flushing again)."""

    def __init__(self):
        self.publisher: Publisher | None = None
        self.records = 0
        self.started_at = dt.datetime.now(UTC)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.spider = spider
        self.started_at = dt.datetime.now(UTC)
        self.publisher = Publisher(spider.app_settings, source=spider.service, run_id=spider.run_id)

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls()
        pipeline.spider = None
        pipeline.crawler = crawler
        return pipeline

    def process_item(self, item, spider=None):
        if not isinstance(item, Record):
            raise TypeError(f"crawlers yield contract records, got {type(item).__name__}")
        self.publisher.publish(item)
        self.records += 1
        return item

    def close_spider(self, spider=None):
        spider = spider or self.crawler.spider
        if spider.progress:
            spider.progress.close()
        try:
            spider.before_close()
        except Exception as err:  # noqa: BLE001 - a failed snapshot must not hide the run's records
            log.error("before_close failed", extra={"error": repr(err)})
        stats = spider.crawler.stats
        status, message = self._status(spider, stats)
        delivered = True
        try:
            self.publisher.flush()
        except Exception as err:  # noqa: BLE001 - any delivery failure fails the run
            delivered = False
            status, message = "failed", f"records not delivered to Kafka: {err}"
        run = CrawlRun(
            service=spider.service, run_id=spider.run_id, started_at=self.started_at,
            finished_at=dt.datetime.now(UTC), status=status,
            requests=stats.get_value("downloader/request_count", 0),
            pages=stats.get_value("insertcoin/pages", 0), records=self.records,
            errors=stats.get_value("insertcoin/errors", 0),
            detail={"plan": spider.plan.detail(), "message": message,
                    **{name: stats.get_value(key, 0) for key, name in _DETAIL_STATS.items()}},
        )
        try:
            self.publisher.publish(run)
            if delivered:
                stats.set_value("insertcoin/bookmarks", send_bookmarks(
                    self.publisher.producer, spider.app_settings, spider.bookmarks.changed))
            self.publisher.close()
        except Exception as err:  # noqa: BLE001
            status, message = "failed", f"crawl_run or bookmarks not delivered to Kafka: {err}"
        spider.outcome = (status, message)
        spider.crawl_run = run

    @staticmethod
    def _status(spider, stats) -> tuple[str, str]:
        if spider.stop_reason:
            return _STOP_STATUS.get(spider.stop_reason, "failed"), spider.stop_message or spider.stop_reason
        errors = stats.get_value("insertcoin/errors", 0)
        if errors:
            return "partial", f"{errors} page(s) failed; first: {spider.first_error}"
        return "succeeded", ""
