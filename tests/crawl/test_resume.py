"""A backfill killed half way (SIGKILL, no chance to clean up) resumes from the bookmarks it wrote
during the run: the restart fetches only the stocks not done, every bookmarked stock's records
were on Kafka before its bookmark, and the loaded table equals the truth, nothing missing or
doubled."""
from __future__ import annotations

import signal
import time

import psycopg2
import pytest

from services.loader.consumer import Loader
from services.loader.tables import SPECS
from kafka import KafkaConsumer, TopicPartition

from shared.crawling.bookmarks import read_bookmarks
from shared.topics import BOOKMARKS, topic_for
from tests.crawl.conftest import (FIRST, LAST, crawl, crawl_env, read_stream, runs, serve_with_faults,
                                  start_crawl, truth)
from tests.crawl.test_end_to_end import _expected, _table

pytestmark = pytest.mark.integration


def _done(settings) -> set[str]:
    marks = read_bookmarks(settings).values
    return {key.split(":", 1)[1] for key in marks if key.startswith("stockreport:")}


class BookmarkWatch:
    """Follows the bookmarks topic with one consumer (cheaper than re-reading it each time)."""

    def __init__(self, settings):
        topic = topic_for(BOOKMARKS, settings.kafka_topic_prefix)
        self.consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
        self.consumer.assign([TopicPartition(topic, 0)])
        self.consumer.seek_to_beginning()
        self.keys: set[str] = set()

    def poll(self) -> int:
        for messages in self.consumer.poll(timeout_ms=100).values():
            self.keys.update(m.key.decode() for m in messages)
        return len(self.keys)


def test_given_a_backfill_killed_half_way_when_restarted_then_it_fetches_only_the_rest_and_the_table_equals_the_truth(
        settings, crawl_world, replay, tmp_path):
    codes = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))
    # Slow answers, one at a time: the 40 stocks take 20 s, time to kill it part way.
    server = serve_with_faults(crawl_world, {"rules": [{"prefix": "/chart", "share": {"slow": 1.0},
                                                        "slow_seconds": 0.5}]})
    try:
        env = crawl_env(settings, server.base, tmp_path / "archive", CRAWL_CONCURRENCY="1",
                        CRAWL_CHECKPOINT_UNITS="2", CRAWL_PROGRESS="off")
        days = ("--from", FIRST.isoformat(), "--to", LAST.isoformat())
        watch = BookmarkWatch(settings)
        proc = start_crawl(env, "stockreport", "--codes", ",".join(codes), *days)
        deadline = time.monotonic() + 90
        while watch.poll() < 16 and time.monotonic() < deadline and proc.poll() is None:
            pass
        assert proc.poll() is None, f"the crawl ended before it could be killed: {proc.stderr.read()[-1500:]}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        watch.consumer.close()
        assert proc.returncode == -signal.SIGKILL

        done = _done(settings)
        assert 0 < len(done) < len(codes), f"{len(done)} of {len(codes)} stocks bookmarked: not half way"
        assert runs(settings, "stockreport") == []  # killed: no crawl_run, no final write
        # A bookmark never claims records that were not delivered.
        delivered = {(e["record"]["code"], e["record"]["trade_date"]) for e in read_stream(settings, "daily_price")}
        for code in done:
            want = {(r["code"], r["trade_date"]) for r in truth(crawl_world, "daily_price") if r["code"] == code}
            assert want <= delivered, f"{code} is bookmarked but {len(want - delivered)} of its days are not on Kafka"

    finally:
        server.stop()
    # The restart, against the same world without the slow answers.
    again = crawl({**env, **crawl_env(settings, replay.base, tmp_path / "archive")}, "stockreport", "--codes",
                  ",".join(codes), *days)
    assert again.code == 0, again.stderr[-1500:]
    run = runs(settings, "stockreport")[-1]
    assert run["detail"]["retries"] == 0
    assert run["requests"] == len(codes) - len(done)  # only the stocks the killed run had not finished
    print(f"killed after {len(done)} of {len(codes)} stocks bookmarked; restart made {run['requests']} requests")
    assert _done(settings) == set(codes)

    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    expected = {k: v for k, v in _expected(crawl_world, "daily_price").items() if v["code"] in codes}
    loaded = _table(settings, "daily_price")
    assert sorted(set(expected) - set(loaded)) == [] and sorted(set(loaded) - set(expected)) == []
    assert loaded == expected
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT (code, trade_date)) FROM {SPECS['daily_price'].table}")
        assert cur.fetchone() == (len(expected), len(expected))  # nothing doubled
