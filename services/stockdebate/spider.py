"""Board posts. One unit per stock: pages of 100 posts, newest first, following ``lastOffset``.
Paging stops at the first post already seen (bookmark ``stockdebate:<code>`` = newest post id),
at the first post older than ``--from`` (default without a bookmark: the last 7 days), or at the
end of the board (a page shorter than 100). Posts newer than ``--to`` are skipped. The bookmark moves only when the run
reaches today (a daily run, or a range ending today)."""
from __future__ import annotations

import datetime as dt

from shared.crawling.spider import SourceSpider
from shared.parsers import Response, discussion_next_offset

PAGE_SIZE = 100
DEFAULT_LOOKBACK = dt.timedelta(days=7)
FLAGS = {"isHolderOnly": "false", "excludesItemNews": "false", "isItemNewsOnly": "false",
         "isCleanbotPassedOnly": "false"}


class StockDebateSpider(SourceSpider):
    service = "stockdebate"
    sources = ("naver_stock",)

    @classmethod
    def preflight(cls, plan, bookmarks, settings) -> None:
        cls.require_listing(plan, bookmarks)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.newest: dict[str, int] = {}
        self.moves_bookmark = self.plan.last is None or self.plan.last >= self.plan.day()

    def units(self) -> list[str]:
        return self.listing()

    def _seen(self, code: str) -> int | None:
        mark = self.bookmarks.get(f"{self.service}:{code}")
        return None if self.plan.force or not mark or self.plan.first else int(mark["newest"])

    def _oldest_day(self, code: str) -> dt.date | None:
        if self.plan.first:
            return self.plan.first
        return None if self._seen(code) else self.plan.day() - DEFAULT_LOOKBACK

    def _page(self, code: str, offset: str | None):
        url = self.url("naver_stock", "/api/community/discussion/posts/by-item", discussionType="domesticStock",
                       itemCode=code, **FLAGS, pageSize=PAGE_SIZE, offset=offset)
        return self.request(url, source="naver_stock", parser="naver-discussion", unit=code)

    def start_unit(self, unit: str):
        yield self._page(unit, None)

    def on_page(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            code = response.meta["unit"]
            seen, oldest, newest_day = self._seen(code), self._oldest_day(code), self.plan.last
            stop = False
            for post in records:  # newest first
                post_id = int(post.post_id)
                day = post.posted_at.date()
                if (seen is not None and post_id <= seen) or (oldest and day < oldest):
                    stop = True
                    break
                self.newest[code] = max(self.newest.get(code, 0), post_id)
                if newest_day is None or day <= newest_day:
                    yield post
            if not stop and len(records) == PAGE_SIZE:  # a shorter page is the board's last
                offset = discussion_next_offset(Response(body=response.body, url=response.url))
                if offset:
                    yield self._page(code, offset)
        self.page_done(response, ok=records is not None)

    def unit_done(self, unit: str) -> None:
        if not self.moves_bookmark or unit not in self.newest:
            return
        key = f"{self.service}:{unit}"
        before = int((self.bookmarks.get(key) or {}).get("newest", 0))
        if self.newest[unit] > before:
            self.bookmarks.set(key, {"newest": str(self.newest[unit])})
