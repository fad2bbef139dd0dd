"""The plumbing on its own: typed config, backoff, sessions and shards, the archive, the page guard."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from scrapy.settings import Settings as ScrapySettings

from shared.crawling.archive import Archive, mask_secrets
from shared.crawling.config import CrawlConfig, CrawlEnv, scrapy_settings
from shared.crawling.days import CrawlPlan, krx_sessions, shard_of
from shared.broker import envelope_head, envelope_json
from shared.crawling.ledger import DeliveryLedger
from shared.crawling.middleware import backoff_delay
from shared.records import BoardPost, DailyPrice, Envelope
from shared.settings import Settings

D = dt.date


def test_given_crawl_env_when_scrapy_settings_are_built_then_the_typed_config_reads_them_back():
    app = Settings(_env_file=None, naver_mstock_url="http://127.0.0.1:9/", kind_url="http://127.0.0.1:9")
    polite = scrapy_settings(app, ("naver_mstock", "kind"), env=CrawlEnv(retry_times=7, max_blocks=2))
    # two sources on one host: the stricter politeness wins (KIND: 1 request at a time, 1 s apart)
    assert polite["DOWNLOAD_SLOTS"] == {"127.0.0.1:9": {"concurrency": 1, "delay": 1.0, "randomize_delay": True}}
    assert polite["AUTOTHROTTLE_ENABLED"] is True
    config = CrawlConfig.from_settings(ScrapySettings(polite))
    assert (config.retry_times, config.max_blocks, 429 in config.retry_statuses) == (7, 2, True)
    off = scrapy_settings(app, ("naver_mstock",), env=CrawlEnv(polite=False))
    assert off["DOWNLOAD_SLOTS"]["127.0.0.1:9"]["delay"] == 0.0 and off["AUTOTHROTTLE_ENABLED"] is False


def test_given_nonsense_settings_when_parsed_then_refused_with_the_variable_named():
    with pytest.raises(ValueError, match="CRAWL_BACKOFF_BASE"):
        CrawlConfig.from_settings(ScrapySettings({"INSERTCOIN_BACKOFF_BASE": 10, "INSERTCOIN_BACKOFF_MAX": 1}))


def test_given_attempts_when_backing_off_then_delays_grow_twice_with_jitter_and_stop_at_the_cap():
    rng = random.Random(1)
    for attempt, (lo, hi) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8), (5, 10), (5, 10)]):
        delay = backoff_delay(attempt, 1.0, 10.0, rng)
        assert lo <= delay <= hi


def test_given_chuseok_when_listing_krx_days_then_the_holidays_are_left_out():
    assert krx_sessions(D(2026, 9, 23), D(2026, 9, 28)) == [D(2026, 9, 23), D(2026, 9, 28)]


def test_given_a_response_with_a_key_in_its_url_when_archived_then_it_reads_back_without_the_key(tmp_path):
    archive = Archive(str(tmp_path))
    url = "https://oapi.koreaexim.go.kr/x?authkey=SECRET&searchdate=20260930&data=AP01"
    archive.write(service="fx", url=url, status=200, headers={"content-type": "application/json"},
                  body=b"[]", parser="koreaexim-fx",
                  fetched_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.timezone.utc))
    (item,) = archive.read(["fx"], D(2026, 10, 1), D(2026, 10, 1))  # 23:00 UTC is the next day in KST
    assert (item.url, item.body, item.parser) == (mask_secrets(url), b"[]", "koreaexim-fx")
    assert "SECRET" not in item.url and list(archive.read(["news"])) == []


def test_given_bookmarks_set_by_callbacks_when_records_reach_the_pipeline_then_a_bookmark_is_ready_only_after_all_earlier_records():
    ledger = DeliveryLedger()
    page1, page2 = ledger.open(), ledger.open()           # two callbacks' outputs in flight
    a1, a2, b1 = object(), object(), object()
    ledger.add(page1, a1)
    ledger.add(page1, a2)
    ledger.add(page2, b1)
    ledger.attach(page2, {"svc:B": {"done": True}})       # page 2 finished its unit first
    ledger.close(page2)
    ledger.handed_over(b1)
    assert ledger.take_ready() == {}                     # page 1, older, still has records queued
    ledger.attach(page1, {"svc:A": {"done": True}})
    ledger.close(page1)
    ledger.handed_over(a1)
    assert ledger.take_ready() == {}                     # a2 not handed over yet
    ledger.handed_over(a2)
    assert ledger.take_ready() == {"svc:A": {"done": True}, "svc:B": {"done": True}}
    assert ledger.waiting == 0 and ledger.take_ready() == {}


def test_given_a_record_when_enveloped_fast_then_the_bytes_equal_the_contract_envelope():
    stamp = dt.datetime(2026, 9, 30, 6, 0, 1, 250, tzinfo=dt.timezone.utc)
    records = [
        BoardPost(code="005930", post_id="417000001", posted_at="2026-09-30T10:00:00+09:00",
                  title='"따옴표" & <태그> \x0b', author="개미왕", views=12, likes=3, dislikes=0),
        DailyPrice(code="005930", trade_date=D(2026, 9, 30), open=None, high=None, low=None, close=71250.0,
                   volume=0, halted=True, foreign_ratio=50.25),
    ]
    for record in records:
        for at in (stamp, stamp.replace(microsecond=0)):
            want = Envelope.wrap(record, source="stockdebate", run_id="r-1", extracted_at=at).model_dump_json()
            assert envelope_json(record, envelope_head("stockdebate", "r-1"), at) == want.encode()


def test_given_shards_when_codes_are_split_then_each_code_is_in_exactly_one_stable_shard():
    codes = [f"{n:06d}" for n in range(0, 3000, 7)] + ["0126Z0", "KOSPI"]
    plans = [CrawlPlan(shard=(i, 4)) for i in range(4)]
    for code in codes:
        assert sum(plan.takes(code) for plan in plans) == 1
    sizes = [sum(plan.takes(c) for c in codes) for plan in plans]
    assert min(sizes) > len(codes) / 4 * 0.7          # roughly even
    # CRC-32 of b"005930" is 0x2a649d98 (reference value); its low two bits are 00 -> shard 0 of 4
    assert shard_of("005930", 4) == 0 and shard_of("005930", 1) == 0
    assert CrawlPlan().takes("005930")


def _day_spider(callback_settles: bool, *, force: bool = False, bookmarks: dict | None = None):
    """A one-day spider whose page callback does (or forgets to do) ``page_done``."""
    from scrapy.http import HtmlResponse

    from shared.crawling.bookmarks import Bookmarks
    from shared.crawling.cursors import DayDone
    from shared.crawling.days import CrawlPlan
    from shared.crawling.spider import SourceSpider
    from shared.settings import Settings

    class OneDay(SourceSpider):
        service = "oneday"
        sources = ("nate",)
        cursor_type = DayDone

        def units(self):
            return ["20260929"]

        def start_unit(self, unit):
            yield self.request("http://127.0.0.1:9/rank", source="nate", parser="nate-ranking", unit=unit,
                               callback=self.settling if callback_settles else self.forgetting)

        def settling(self, response):
            yield from ()
            self.page_done(response)

        def forgetting(self, response):
            yield from ()

    spider = OneDay(plan=CrawlPlan(force=force, today=dt.date(2026, 9, 30)), bookmarks=Bookmarks(bookmarks),
                    run_id="r-1", app_settings=Settings())
    (request,) = spider.start_unit("20260929")
    response = HtmlResponse(url=request.url, body=b"", request=request)
    return spider, lambda: list(request.callback(response))


def test_given_a_callback_that_forgets_page_done_when_its_page_is_parsed_then_the_unit_finishes_as_failed_and_no_bookmark_moves():
    spider, parse_page = _day_spider(callback_settles=False)
    parse_page()
    assert spider.pending["20260929"] == 0 and spider.finished_units == 1
    assert spider.failed_units == {"20260929"} and spider.bookmarks.unwritten == {}


def test_given_a_per_day_cursor_when_a_past_day_finishes_then_it_is_bookmarked_once_and_covered_next_time():
    spider, parse_page = _day_spider(callback_settles=True)
    parse_page()
    assert spider.failed_units == set() and spider.finished_units == 1
    assert spider.bookmarks.unwritten == {"oneday:20260929": {"done": True, "run_id": "r-1"}}
    again, _ = _day_spider(True, bookmarks={"oneday:20260929": {"done": True}})
    assert again.cursor.covers("20260929")
    forced, _ = _day_spider(True, force=True, bookmarks={"oneday:20260929": {"done": True}})
    assert not forced.cursor.covers("20260929")
