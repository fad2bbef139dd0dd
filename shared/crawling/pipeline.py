"""The one pipeline of every crawler: records to Kafka, bookmarks written at checkpoints during
the run (every ``CRAWL_CHECKPOINT_UNITS`` finished units or ``CRAWL_CHECKPOINT_SECONDS``) and at
its end, each time only after the records sent before were delivered (flush, acks=all); then
the run's ``crawl_run`` record. A backfill killed half way resumes from its last checkpoint."""
from __future__ import annotations

import datetime as dt
import logging
import signal
import time

from shared.broker import Publisher
from shared.crawling.bookmarks import send_bookmarks
from shared.crawling.ledger import DeliveryLedger, RecordBatch
from shared.records import UTC, CrawlRun, Record

log = logging.getLogger(__name__)

#: Scrapy stats -> crawl_run detail keys
_DETAIL_STATS = {"insertcoin/retries": "retries", "insertcoin/blocks": "blocks",
                 "insertcoin/archived": "archived", "insertcoin/units_skipped": "units_skipped",
                 "insertcoin/retries_exhausted": "retries_exhausted", "insertcoin/checkpoints": "checkpoints",
                 "insertcoin/bookmarks": "bookmarks"}
#: stop reason -> crawl_run status
_STOP_STATUS = {"blocked": "blocked", "configuration_error": "failed", "quota_exceeded": "failed"}


class KafkaPipeline:
    """Opens the sender in ``open_spider``; ``process_item`` sends a record and, when a
    checkpoint is due, flushes and writes the bookmarks that became ready; ``close_spider``
    flushes, writes the remaining bookmarks and the ``crawl_run`` record, and closes."""

    def __init__(self):
        self.sender: Publisher | None = None
        self.records = 0
        self.started_at = dt.datetime.now(UTC)
        self.delivery_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls()
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.spider = spider
        self.started_at = dt.datetime.now(UTC)
        self.sender = Publisher(spider.app_settings, source=spider.service, run_id=spider.run_id)
        self.ledger = spider.ledger = DeliveryLedger()
        self.ledger.on_ready = self._maybe_checkpoint
        self.stats = spider.crawler.stats
        self.every_units = spider.config.checkpoint_units
        self.every_seconds = spider.config.checkpoint_seconds
        self.last_checkpoint = time.monotonic()

    def process_item(self, item, spider=None):
        if isinstance(item, RecordBatch):
            send, source = self.sender.publish, item.source
            for record in item.records:
                send(record, source)
            self.records += len(item.records)
        elif isinstance(item, Record):
            self.sender.publish(item)
            self.records += 1
        else:
            raise TypeError(f"crawlers yield contract records, got {type(item).__name__}")
        self.ledger.handed_over(item)
        return item

    def _maybe_checkpoint(self) -> None:
        if self.ledger.ready_count >= self.every_units or \
                time.monotonic() - self.last_checkpoint >= self.every_seconds:
            self.checkpoint()

    def checkpoint(self) -> int:
        """Flush the records sent so far, then queue the bookmarks that were waiting on them;
        returns how many. After a failed delivery no bookmark is written any more."""
        self.last_checkpoint = time.monotonic()
        ready = self.ledger.take_ready()
        if not ready or self.delivery_error:
            return 0
        try:
            self.sender.flush()
        except Exception as err:  # noqa: BLE001 - any delivery failure: stop claiming progress
            self.delivery_error = str(err)
            log.error("records not delivered; no bookmark is written", extra={"error": str(err)})
            return 0
        send_bookmarks(self.sender.producer, self.spider.app_settings, ready)
        self.stats.inc_value("insertcoin/checkpoints")
        self.stats.inc_value("insertcoin/bookmarks", len(ready))
        return len(ready)

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
        try:
            self.sender.flush()
        except Exception as err:  # noqa: BLE001 - any delivery failure fails the run
            self.delivery_error = self.delivery_error or str(err)
        if self.delivery_error:
            status, message = "failed", f"records not delivered to Kafka: {self.delivery_error}"
        else:
            # Every record is delivered: what the ledger still holds back (a callback cut short)
            # and what was set outside callbacks (before_close) can be written now.
            final = {**self.ledger.take_ready(), **spider.bookmarks.take_unwritten()}
            if self.ledger.waiting:
                log.warning("bookmarks whose records never reached the pipeline are not written",
                            extra={"waiting": self.ledger.waiting})
            if final:
                send_bookmarks(self.sender.producer, spider.app_settings, final)
                stats.inc_value("insertcoin/bookmarks", len(final))
        run = CrawlRun(
            service=spider.service, run_id=spider.run_id, started_at=self.started_at,
            finished_at=dt.datetime.now(UTC), status=status,
            requests=stats.get_value("downloader/request_count", 0),
            pages=stats.get_value("insertcoin/pages", 0), records=self.records,
            errors=stats.get_value("insertcoin/errors", 0),
            detail={"plan": spider.plan.detail(), "message": message,
                    **{name: stats.get_value(key, 0) for key, name in _DETAIL_STATS.items()},
                    **spider.run_detail()},
        )
        try:
            self.sender.publish(run)
            self.sender.close()
        except Exception as err:  # noqa: BLE001
            status, message = "failed", f"crawl_run or bookmarks not delivered to Kafka: {err}"
        spider.outcome = (status, message)
        spider.crawl_run = run

    @staticmethod
    def _status(spider, stats) -> tuple[str, str]:
        signum = getattr(spider.crawler, "interrupted_by", None)
        if signum:  # Ctrl-C, docker stop, an ECS task stop: what was delivered is kept, but not a success
            return "interrupted", f"stopped by {signal.Signals(signum).name} after {spider.finished_units} unit(s)"
        if spider.stop_reason:
            return _STOP_STATUS.get(spider.stop_reason, "failed"), spider.stop_message or spider.stop_reason
        errors = stats.get_value("insertcoin/errors", 0)
        if errors:
            return "partial", f"{errors} page(s) failed; first: {spider.first_error}"
        if not stats.get_value("downloader/request_count", 0):
            return "succeeded", _why_nothing(spider.plan, stats.get_value("insertcoin/units_skipped", 0))
        return "succeeded", ""


def _why_nothing(plan, skipped: int) -> str:
    """Why a run fetched nothing, in words a person can act on."""
    span = "" if not plan.first else f" on {plan.first}" if plan.first == plan.last else \
        f" from {plan.first} to {plan.last}"
    if skipped:
        return (f"nothing new to fetch: {skipped} unit(s){span} already crawled up to their bookmarks: "
                "use --force to fetch again")
    return f"nothing to crawl{span}: no stock in the listing{' or shard' if plan.shard else ''}"
