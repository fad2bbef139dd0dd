"""The board crawl beyond paging: stop-at-seen on a backfill inside the bookmark's coverage, and
``--shard i/N`` splitting the stocks between tasks."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from shared.crawling.bookmarks import read_bookmarks
from shared.crawling.days import shard_of
from tests.crawl.conftest import LAST, crawl, read_stream, runs, truth

pytestmark = pytest.mark.integration


def test_given_a_board_crawled_from_its_first_day_when_a_backfill_inside_that_range_runs_then_it_stops_at_the_first_seen_post(
        settings, crawl_world, env_for):
    posts = truth(crawl_world, "board_post")
    code, _ = Counter(p["code"] for p in posts).most_common(1)[0]
    mine = [p for p in posts if p["code"] == code]
    since = min(p["posted_at"][:10] for p in mine)
    env = env_for()
    assert crawl(env, "stockdebate", "--codes", code, "--from", since).code == 0
    mark = read_bookmarks(settings).get(f"stockdebate:{code}")
    assert mark == {"newest": max(p["post_id"] for p in mine), "since": since}

    day = (LAST - dt.timedelta(days=1)).isoformat()
    again = crawl(env, "stockdebate", "--codes", code, "--from", day, "--to", LAST.isoformat())
    assert again.code == 0, again.stderr[-1500:]
    run = runs(settings, "stockdebate")[-1]
    assert (run["requests"], run["records"]) == (1, 0)  # the newest post is covered: one page, stop


def test_given_two_shards_when_the_board_is_crawled_by_each_then_they_split_the_stocks_without_overlap(
        settings, crawl_world, env_for):
    codes = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))
    env = env_for()
    day = LAST.isoformat()
    for shard in ("0/2", "1/2"):
        done = crawl(env, "stockdebate", "--codes", ",".join(codes), "--from", day, "--shard", shard)
        assert done.code == 0, done.stderr[-1500:]
    first, second = runs(settings, "stockdebate")[-2:]
    in_shard = [sum(shard_of(c, 2) == i for c in codes) for i in (0, 1)]
    assert 0 < in_shard[0] < len(codes)
    # one by-item page per stock of the shard (+ reactions requests for its posts)
    assert first["pages"] >= in_shard[0] and second["pages"] >= in_shard[1]
    assert first["detail"]["plan"]["shard"] == "0/2" and second["detail"]["plan"]["shard"] == "1/2"
    envelopes = read_stream(settings, "board_post")
    got = [e["record"] for e in envelopes]
    for envelope in envelopes:
        shard = 0 if envelope["run_id"] == first["run_id"] else 1
        assert shard_of(envelope["record"]["code"], 2) == shard
    want = {p["post_id"] for p in truth(crawl_world, "board_post") if p["posted_at"][:10] == day}
    assert {r["post_id"] for r in got} == want and len(got) == len(want)  # together: every post, once


def test_given_a_bad_shard_when_crawl_is_called_then_argparse_names_the_form(env_for):
    done = crawl(env_for(), "stockdebate", "--shard", "2/2")
    assert done.code == 2 and "--shard '2/2' is not i/N with 0 <= i < N" in done.stderr


def test_given_an_archived_board_crawl_when_reparsed_then_the_posts_carry_the_archived_reactions_counts(
        settings, crawl_world, env_for):
    import subprocess
    import sys
    from pathlib import Path

    env = env_for()
    assert crawl(env, "stockdebate", "--from", LAST.isoformat(), "--codes",
                 ",".join(sorted(r["code"] for r in truth(crawl_world, "stock_listing")))).code == 0
    crawled = len(read_stream(settings, "board_post"))
    done = subprocess.run([sys.executable, "-m", "shared.cli", "reparse", "--service", "stockdebate"], env=env,
                          capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=60)
    assert done.returncode == 0, done.stderr[-1500:]
    again = {e["record"]["post_id"]: e["record"] for e in read_stream(settings, "board_post")[crawled:]}
    want = {p["post_id"]: p for p in truth(crawl_world, "board_post") if p["post_id"] in again}
    assert again and again == want  # views and likes too, though the list pages carry none
