"""Crawler defects found against real-format answers (issue 12, item 7): industry groups longer
than a page, Naver's portal home page as a block, the day's change derived across the window's
edge."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from services.replay.effects import EffectsConfig
from services.replay.simulate import build_world
from shared.crawling.days import krx_sessions
from tests.crawl.conftest import FIRST, LAST, crawl, crawl_env, prices_under_faults, read_stream, runs, truth
from tests.replay.conftest import Served

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def crowded_world(tmp_path_factory):
    """2,800 securities on two days: industry groups of more than 100 members."""
    folder = tmp_path_factory.mktemp("crowded")
    build_world(folder, stocks=2800, start=dt.date(2026, 9, 29), end=dt.date(2026, 9, 30), seed=5,
                effects=EffectsConfig(movers_per_day=3), posts_per_day=0.0)
    return folder


def test_given_industry_groups_longer_than_a_page_when_listed_then_every_member_lands(settings, crowded_world,
                                                                                      tmp_path):
    want = {(r["code"], r["sector_code"]) for r in truth(crowded_world, "stock_sector")}
    biggest = max(Counter(sector for _, sector in want).values())
    assert biggest > 100, "the world needs a group of more than one page of 100"
    server = Served(["--world", str(crowded_world)])
    try:
        done = crawl(crawl_env(settings, server.base, tmp_path / "archive"), "stockcode", timeout=300)
    finally:
        server.stop()
    assert done.code == 0, done.stderr[-1500:]
    got = {(e["record"]["code"], e["record"]["sector_code"]) for e in read_stream(settings, "stock_sector")}
    assert got == want
    # each group paged by its totalCount (100 a page), as each market's ranking is: nothing asked twice
    markets = Counter(r["market"] for r in truth(crowded_world, "stock_listing"))
    sizes = Counter(sector for _, sector in want).values()
    pages = sum(-(-markets[m] // 100) for m in ("KOSPI", "KOSDAQ")) + 2 + sum(n // 100 + 1 for n in sizes)
    assert runs(settings, "stockcode")[-1]["requests"] == pages


def test_given_naver_answers_its_home_page_now_and_then_when_prices_are_crawled_then_retries_bring_every_day(
        settings, crawl_world, tmp_path):
    codes = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))[:12]
    faults = {"seed": 3, "rules": [{"prefix": "/chart", "share": {"home": 0.3}}]}
    _, run, got, want = prices_under_faults(settings, crawl_world, tmp_path / "archive", faults, codes,
                                            CRAWL_MAX_BLOCKS="50")
    assert run["status"] == "succeeded" and run["detail"]["blocks"] > 0 and run["errors"] == 0
    assert got == want


def test_given_a_window_after_the_first_session_when_prices_are_crawled_then_every_day_has_its_derived_change(
        settings, crawl_world, env_for):
    sessions = krx_sessions(FIRST, LAST)
    start = sessions[2]
    codes = sorted(r["code"] for r in truth(crawl_world, "stock_listing"))[:5]
    done = crawl(env_for(), "stockreport", "--codes", ",".join(codes), "--from", start.isoformat(),
                 "--to", LAST.isoformat())
    assert done.code == 0, done.stderr[-1500:]
    got = {(e["record"]["code"], e["record"]["trade_date"]): e["record"] for e in read_stream(settings, "daily_price")}
    closes = {(r["code"], r["trade_date"]): r["close"] for r in truth(crawl_world, "daily_price")}
    # the session before the window was fetched for its close, not published
    assert {day for _, day in got} == {d.isoformat() for d in sessions[2:]}
    for (code, day), record in got.items():
        before = sessions[sessions.index(dt.date.fromisoformat(day)) - 1].isoformat()
        assert record["change"] == pytest.approx(closes[code, day] - closes[code, before], abs=1e-9), (code, day)
    first_day = [r for (code, day), r in got.items() if day == start.isoformat()]
    assert len(first_day) == len(codes) and all(r["change"] is not None for r in first_day)
