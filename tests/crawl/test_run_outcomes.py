"""A crawl stopped by a signal (Ctrl-C, docker stop, an ECS task stop) is not a success: its
``crawl_run`` says ``interrupted`` and it exits 128 + the signal; a run that fails inside Twisted
ends with one line, not a CRITICAL traceback."""
from __future__ import annotations

import signal
import time

import pytest

from tests.crawl.conftest import (FIRST, LAST, crawl, one_line, read_stream, runs, serve_with_faults, start_crawl,
                                  truth)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_given_a_backfill_under_way_when_signalled_then_its_run_is_interrupted_and_it_exits_128_plus_the_signal(
        settings, crawl_world, env_for, signum, code):
    codes = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))
    server = serve_with_faults(crawl_world, {"rules": [{"prefix": "/", "share": {"slow": 1.0},
                                                        "slow_seconds": 1.5}]})
    try:
        env = env_for(server.base, CRAWL_CONCURRENCY="1", CRAWL_PROGRESS="off", CRAWL_CHECKPOINT_UNITS="1")
        proc = start_crawl(env, "stockreport", "--codes", ",".join(codes), "--from", FIRST.isoformat(),
                           "--to", LAST.isoformat())
        deadline = time.monotonic() + 60
        while not read_stream(settings, "daily_price") and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.3)  # until the crawl is under way: its first records are on Kafka
        assert proc.poll() is None, proc.stderr.read().decode()[-1500:]
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        server.stop()
    stderr = err.decode()
    assert proc.returncode == code, stderr[-1500:]
    assert one_line(stderr).startswith(f"stockreport: interrupted: stopped by {signal.Signals(signum).name}")
    assert "Traceback" not in stderr
    run = runs(settings, "stockreport")[-1]
    assert run["status"] == "interrupted" and 0 < run["pages"], run


def test_given_a_failure_inside_twisted_when_crawling_then_one_line_and_exit_2(settings, env_for, monkeypatch):
    # CRAWL_MAX_BLOCKS=0 used to pass the CRAWL_* check and fail in the spider's from_crawler.
    done = crawl(env_for(CRAWL_MAX_BLOCKS="0"), "fx", "--date", LAST.isoformat())
    assert done.code == 2, done.stderr[-1500:]
    assert one_line(done.stderr) == "fx: bad CRAWL_* setting: CRAWL_RETRY_TIMES must be >= 0 and CRAWL_MAX_BLOCKS >= 1"
    assert "Traceback" not in done.stderr and "critical" not in done.stderr.lower()


def test_given_a_day_already_crawled_when_crawled_again_then_it_says_why_nothing_was_fetched(settings, env_for):
    env = env_for()
    assert crawl(env, "fx", "--date", LAST.isoformat()).code == 0
    again = crawl(env, "fx", "--date", LAST.isoformat())
    assert again.code == 0, again.stderr[-1500:]
    assert one_line(again.stderr) == (f"fx: nothing new to fetch: 1 unit(s) on {LAST} already crawled up to their "
                                      "bookmarks: use --force to fetch again")
    assert runs(settings, "fx")[-1]["detail"]["message"] == one_line(again.stderr).removeprefix("fx: ")
    # Scrapy's start-up dumps are DEBUG lines: not in an INFO log
    chatty = crawl({**env, "LOG_LEVEL": "INFO"}, "fx", "--date", LAST.isoformat())
    assert chatty.code == 0
    assert "Overridden settings" not in chatty.stderr and "Enabled downloader middlewares" not in chatty.stderr
    assert '"msg":"crawl finished"' in chatty.stderr


def test_given_codes_outside_the_listing_when_crawled_then_a_warning_names_them(settings, crawl_world, env_for):
    from shared.broker import make_producer
    from shared.crawling.bookmarks import LISTING_KEY, send_bookmarks

    listed = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))[:2]
    producer = make_producer(settings)
    send_bookmarks(producer, settings, {LISTING_KEY: {"codes": {code: "stock" for code in listed}}})
    producer.flush()
    producer.close()
    done = crawl(env_for(), "stockreport", "--codes", f"{listed[0]},99999Z", "--date", LAST.isoformat())
    assert "warning: not in the stock listing (crawled anyway): 99999Z" in done.stderr.splitlines(), done.stderr[-1500:]
    assert listed[0] not in done.stderr.split("crawled anyway")[1].splitlines()[0]
