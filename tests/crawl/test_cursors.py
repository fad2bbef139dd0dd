"""The bookmark cursors on their own (shared/crawling/cursors.py): what each asks to fetch and how
a finished unit moves its bookmark; and every crawler that keeps bookmarks names one."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from shared.crawlers import CRAWLERS
from shared.crawling.bookmarks import Bookmarks
from shared.crawling.cursors import CoveredRange, DayDone, NewestDay, NewestItem
from shared.crawling.days import CrawlPlan

D = dt.date


def run(plan: CrawlPlan, bookmarks: dict | None = None, service: str = "svc"):
    """What a cursor reads of its spider."""
    return SimpleNamespace(service=service, plan=plan, bookmarks=Bookmarks(bookmarks), run_id="r-1")


def test_given_a_bookmark_when_a_daily_run_asks_then_only_the_missing_trading_days_are_fetched():
    fri, mon, tue = D(2026, 9, 18), D(2026, 9, 21), D(2026, 9, 22)
    marks = {"svc:005930": {"first": "2026-09-01", "last": fri.isoformat()}}

    def missing(**plan):
        return CoveredRange(run(CrawlPlan(**plan), marks)).missing("005930")
    assert missing(today=tue) == (mon, tue)
    assert missing(today=D(2026, 9, 20)) is None  # Sunday: nothing new
    assert missing(today=fri) == (fri, fri)        # today's close moves
    assert missing(first=D(2026, 8, 3), last=fri, today=tue) == (D(2026, 8, 3), D(2026, 8, 31))
    assert missing(first=D(2026, 9, 2), last=fri, today=tue) is None
    assert CoveredRange(run(CrawlPlan(today=tue))).missing("000660") == (D(2025, 9, 22), tue)  # a year back


def test_given_ranges_that_do_not_touch_when_merged_then_the_bookmark_never_claims_the_hole():
    marks = {"svc:005930": {"first": "2026-09-01", "last": "2026-09-30"}}
    for (start, end), after in [(("2026-10-05", "2026-10-06"), {"first": "2026-10-05", "last": "2026-10-06"}),
                                (("2026-10-01", "2026-10-02"), {"first": "2026-09-01", "last": "2026-10-02"}),
                                (("2026-01-05", "2026-01-06"), None)]:           # older, with a hole: kept
        spider = run(CrawlPlan(today=D(2026, 10, 7)), marks)
        cursor = CoveredRange(spider)
        cursor.finish("005930")                       # nothing fetched: nothing moves
        cursor.fetched("005930", start, end)
        cursor.finish("005930")
        assert spider.bookmarks.unwritten == ({"svc:005930": after} if after else {})


def test_given_board_bookmarks_when_runs_finish_then_the_coverage_grows_only_where_it_is_contiguous():
    today = D(2026, 10, 1)
    marks = {"svc:005930": {"newest": "500", "since": "2026-09-10"}}

    def after(plan: CrawlPlan, newest: int | None, joined: bool, bookmarks=marks) -> dict | None:
        cursor = NewestItem(run(plan, bookmarks))
        if newest:
            cursor.saw("005930", newest)
        if joined:
            cursor.join("005930")
        return cursor.next_mark("005930")

    daily = CrawlPlan(today=today)
    assert NewestItem(run(daily, marks)).stops_at_seen("005930")
    assert not NewestItem(run(CrawlPlan(today=today, force=True), marks)).stops_at_seen("005930")
    assert NewestItem(run(daily, marks)).seen("005930") == 500
    assert after(daily, 620, True) == {"newest": "620", "since": "2026-09-10"}
    assert after(daily, 620, False, {}) == {"newest": "620", "since": "2026-09-24"}  # 7 days
    assert after(daily, None, False, {}) is None                                      # empty board
    inside = CrawlPlan(first=D(2026, 9, 20), today=today)         # to today, inside the coverage
    assert NewestItem(run(inside, marks)).stops_at_seen("005930")
    assert after(inside, 650, True) == {"newest": "650", "since": "2026-09-10"}
    before = CrawlPlan(first=D(2026, 9, 1), today=today)          # starts before it: pages on, skips
    assert not NewestItem(run(before, marks)).stops_at_seen("005930")
    assert after(before, 650, False) == {"newest": "650", "since": "2026-09-01"}
    assert not NewestItem(run(inside, {"svc:005930": {"newest": "500"}})).stops_at_seen("005930")  # no range
    # past windows: one touching the coverage extends it back, one leaving a hole changes nothing
    assert after(CrawlPlan(first=D(2026, 9, 1), last=D(2026, 9, 9), today=today), 300, False) == \
        {"newest": "500", "since": "2026-09-01"}
    assert after(CrawlPlan(first=D(2026, 9, 1), last=D(2026, 9, 5), today=today), 300, False) is None
    # finish writes what next_mark says, and only a change
    spider = run(daily, marks)
    cursor = NewestItem(spider)
    cursor.finish("005930")
    assert spider.bookmarks.unwritten == {}
    cursor.saw("005930", 777)
    cursor.finish("005930")
    assert spider.bookmarks.unwritten == {"svc:005930": {"newest": "777", "since": "2026-09-10"}}


def test_given_a_series_when_days_are_delivered_then_the_next_run_asks_from_the_newest_and_a_past_window_never_moves_it_back():
    spider = run(CrawlPlan(today=D(2026, 10, 1)), {"svc:last": {"day": "2026-09-25"}})
    cursor = NewestDay(spider)
    assert cursor.since("fear_greed") == "2026-09-25"
    cursor.saw(D(2026, 9, 30))
    cursor.saw(D(2026, 9, 28))
    cursor.finish("fear_greed")
    assert spider.bookmarks.unwritten == {"svc:last": {"day": "2026-09-30"}}
    past = run(CrawlPlan(first=D(2026, 1, 1), last=D(2026, 1, 31), today=D(2026, 10, 1), force=True),
               {"svc:last": {"day": "2026-09-25"}})
    cursor = NewestDay(past)
    assert cursor.since("fear_greed") is None          # --force: the source's default range
    cursor.saw(D(2026, 1, 31))
    cursor.finish("fear_greed")
    assert past.bookmarks.unwritten == {}


def test_given_days_when_finished_then_only_settled_ones_are_done_and_older_runs_complete_days_stay_covered():
    spider = run(CrawlPlan(today=D(2026, 9, 30)), {"svc:20260901": {"rows": 3, "complete": True}})
    cursor = DayDone(spider)
    assert cursor.covers("20260901")                     # written by an older run
    for day in ("20260929", "20260930"):
        cursor.finish(day)
    assert spider.bookmarks.unwritten == {"svc:20260929": {"done": True, "run_id": "r-1"}}  # not today


@pytest.mark.parametrize("command", sorted(CRAWLERS))
def test_given_a_crawler_declaration_then_its_cursor_builds_on_a_run_and_names_its_shape(command):
    declared = CRAWLERS[command]
    if command in ("stockcode", "financialreport"):   # the listing snapshot / every report each run
        assert declared.cursor is None
        return
    cursor = declared.cursor(run(CrawlPlan(today=D(2026, 9, 30)), service=command))
    assert type(cursor).__name__ in {"DayDone", "CoveredRange", "NewestItem", "NewestDay"}
    assert cursor.covers("20200101") is False          # no bookmarks yet: nothing covered
