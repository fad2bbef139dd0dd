"""Spiders against the replay site: paging and cursors, stop-at-seen, retries under injected
faults, block pages, the 418 browser fallback, the fx auth-key error, the 410 of legacy pages."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.crawl.conftest import (FIRST, LAST, crawl, crawl_env, one_line, prices_under_faults, read_stream,
                                  runs, serve_with_faults, truth)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


def _listing(world) -> list[str]:
    return sorted(r["code"] for r in truth(world, "stock_listing"))


def test_given_a_board_longer_than_a_page_when_crawled_then_cursor_paging_reaches_the_first_day_and_a_rerun_stops_at_the_first_seen_post(
        settings, crawl_world, env_for):
    posts = [p for p in truth(crawl_world, "board_post")]
    code, count = Counter(p["code"] for p in posts).most_common(1)[0]
    assert count > 100, "the world needs a board longer than one page of 100"
    since = min(p["posted_at"][:10] for p in posts if p["code"] == code)
    env = env_for()

    first = crawl(env, "stockdebate", "--codes", code, "--from", since)
    assert first.code == 0, first.stderr[-1500:]
    got = {e["record"]["post_id"]: e["record"] for e in read_stream(settings, "board_post")}
    want = {p["post_id"]: p for p in posts if p["code"] == code}
    assert got == want  # every field, views and likes from the reactions endpoint included
    run = runs(settings, "stockdebate")[-1]
    # ceil(count / 100) pages and ceil(count / 30) reactions requests (30 posts each, as Naver's
    # pages ask; the replay site answers no more): nothing fetched twice
    assert run["requests"] == -(-count // 100) + -(-count // 30)

    again = crawl(env, "stockdebate", "--codes", code)  # a daily run: bookmark = newest post seen
    assert again.code == 0, again.stderr[-1500:]
    run = runs(settings, "stockdebate")[-1]
    assert (run["requests"], run["records"]) == (1, 0)


def test_given_429_503_truncated_and_hanging_answers_when_prices_are_crawled_then_every_stock_arrives_after_retries(
        settings, crawl_world, tmp_path):
    faults = {"seed": 3, "rules": [{"prefix": "/chart", "share": {"429": 0.15, "503": 0.15, "truncate": 0.1,
                                                                  "hang": 0.05}}]}
    codes = _listing(crawl_world)
    _, run, got, want = prices_under_faults(settings, crawl_world, tmp_path / "archive", faults, codes,
                                            CRAWL_TIMEOUT="1", CRAWL_RETRY_TIMES="8")
    assert run["status"] == "succeeded" and run["detail"]["retries"] > 0
    assert run["requests"] == len(codes) + run["detail"]["retries"]
    assert got == want


@pytest.mark.parametrize("kind", ["block", "home"], ids=["block-page", "naver-portal-home-page"])
def test_given_block_pages_every_time_when_listing_is_crawled_then_the_run_stops_as_blocked(
        settings, crawl_world, tmp_path, kind):
    server = serve_with_faults(crawl_world, {"rules": [{"prefix": "/api/stocks", "share": {kind: 1.0}}]})
    try:
        env = crawl_env(settings, server.base, tmp_path / "archive", CRAWL_MAX_BLOCKS="3")
        done = crawl(env, "stockcode")
    finally:
        server.stop()
    assert done.code == 4, done.stderr[-1500:]
    assert one_line(done.stderr).startswith("stockcode: blocked: 3 block pages in a row")
    run = runs(settings, "stockcode")[-1]
    assert run["status"] == "blocked" and run["detail"]["blocks"] >= 3  # requests in flight count too
    assert read_stream(settings, "bookmarks") == []  # an incomplete listing is not left as the snapshot


def test_given_cnn_answers_418_to_our_user_agent_when_fear_greed_is_crawled_then_the_rendered_page_gives_the_day(
        settings, crawl_world, env_for):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium): the fallback cannot run")
    env = env_for(CRAWL_USER_AGENT="insertcoin-bot/1.0", CHROMIUM_PATH=chromium)
    done = crawl(env, "fear-greed", "--from", FIRST.isoformat(), "--to", LAST.isoformat(), timeout=120)
    assert done.code == 0, done.stderr[-2000:]
    run = runs(settings, "fear-greed")[-1]
    assert run["requests"] == 2 and run["records"] == 1
    envelope = read_stream(settings, "fear_greed")[-1]
    record = envelope["record"]
    assert envelope["source"] == "fear-greed/page"  # ranked below the JSON by the loader
    last = truth(crawl_world, "fear_greed")[-1]
    assert record["as_of_date"] == last["as_of_date"]
    assert record["score"] == round(last["score"]) and record["rating"] == last["rating"]
    # re-parsed from the archive, the page's record keeps its place below the JSON
    again = subprocess.run([sys.executable, "-m", "shared.cli", "reparse", "--service", "fear-greed", "--parser",
                            "cnn-fear-greed-page"], env=env,
                           capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=60)
    assert again.returncode == 0, again.stderr[-1500:]
    assert [(e["source"], e["record"]) for e in read_stream(settings, "fear_greed")[1:]] == [("fear-greed/page", record)]


def test_given_a_wrong_eximbank_key_when_fx_is_crawled_then_one_line_says_configuration_error(settings, env_for):
    done = crawl(env_for(KOREAEXIM_AUTHKEY="not-the-key"), "fx", "--date", LAST.isoformat())
    assert done.code == 2
    assert one_line(done.stderr) .startswith("fx: failed: configuration error: koreaexim-fx: result 3: bad auth key")
    assert "Traceback" not in done.stderr and "not-the-key" not in done.stderr
    assert runs(settings, "fx")[-1]["status"] == "failed"

    unset = crawl(env_for(KOREAEXIM_AUTHKEY=""), "fx")
    assert unset.code == 2 and one_line(unset.stderr) == \
        "fx: configuration error: KOREAEXIM_AUTHKEY is not set (the Korea Eximbank API key)"


def test_given_fx_archived_when_reparsed_then_the_same_records_are_published_again(settings, crawl_world, env_for,
                                                                                  tmp_path):
    env = env_for()
    assert crawl(env, "fx", "--from", FIRST.isoformat(), "--to", LAST.isoformat()).code == 0
    first = read_stream(settings, "fx_rate")
    archived = list((tmp_path / "archive" / "fx").glob("*/*.gz"))
    assert archived and all(b"crawl-test-key" not in p.read_bytes() for p in archived)
    done = subprocess.run([sys.executable, "-m", "shared.cli", "reparse", "--service", "fx"], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr[-1500:]
    again = read_stream(settings, "fx_rate")[len(first):]
    assert sorted(e["key"] for e in again) == sorted(e["key"] for e in first) and len(first) == \
        len(truth(crawl_world, "fx_rate"))


def test_given_the_closed_legacy_price_page_when_crawled_then_410_is_one_failed_page_not_retried(settings, env_for):
    env = env_for()
    done = subprocess.run([sys.executable, "-m", "tests.crawl.legacy_spider", "005930"], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 3, done.stderr[-1500:]
    assert "legacy-sise-day: HTTP 410" in one_line(done.stderr)
    run = runs(settings, "legacy-sise-day")[-1]
    assert (run["status"], run["requests"], run["errors"]) == ("partial", 1, 1)


def test_given_a_finished_news_day_when_crawled_again_then_its_bookmark_skips_it(settings, env_for):
    env = env_for()
    day = (LAST - dt.timedelta(days=1)).isoformat()
    assert crawl(env, "news", "--date", day).code == 0
    assert crawl(env, "news", "--date", day).code == 0
    first, second = runs(settings, "news")[-2:]
    assert (first["requests"], first["records"]) == (16, 800)
    assert (second["requests"], second["detail"]["units_skipped"]) == (0, 1)
