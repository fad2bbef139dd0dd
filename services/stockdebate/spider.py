"""Board posts. One unit per stock: pages of 100 posts, newest first, following ``lastOffset``;
the posts' real view and like counts come from the reactions endpoint (the list's read 0), asked
for 30 posts at a time across stocks, and are merged in before the posts are published.

Its cursor (declared: ``NewestItem``) keeps per stock ``{newest, since}``: every post with an id up
to ``newest`` posted on or after ``since`` was delivered. Paging stops
- at the first post the bookmark covers, on a daily run or a ``--from`` at or after ``since``
  (a ``--from`` before ``since`` pages on and skips the covered posts),
- at the first post older than ``--from`` (default without a bookmark: the last 7 days),
- at the end of the board (a page shorter than 100).
Posts newer than ``--to`` are skipped. How a run moves the bookmark: ``NewestItem.next_mark``."""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from shared.crawling.spider import SourceSpider
from shared.parsers import Response, discussion_next_offset
from shared.records import BoardPost

PAGE_SIZE = 100
#: Post ids per reactions call: what Naver's own pages ask (no capture shows 100 answered in full).
REACTIONS_BATCH = 30
FLAGS = {"isHolderOnly": "false", "excludesItemNews": "false", "isItemNewsOnly": "false",
         "isCleanbotPassedOnly": "false"}


class StockDebateSpider(SourceSpider):
    service = "stockdebate"
    needs_listing = True
    sources = ("naver_stock",)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.waiting: list[BoardPost] = []   # posts whose counts are not asked for yet
        self.holding: set[str] = set()       # units with posts in ``waiting`` (each holds one pending)

    def units(self) -> list[str]:
        return self.listing()

    def _page(self, code: str, offset: str | None):
        url = self.url("naver_stock", "/api/community/discussion/posts/by-item", discussionType="domesticStock",
                       itemCode=code, **FLAGS, pageSize=PAGE_SIZE, offset=offset)
        return self.request(url, source="naver_stock", parser="naver-discussion", unit=code)

    def start_unit(self, unit: str):
        yield self._page(unit, None)

    def on_page(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            code, cursor = response.meta["unit"], self.cursor
            seen, stop_at_seen, since = cursor.seen(code), cursor.stops_at_seen(code), cursor.since(code)
            oldest, newest_day = cursor.oldest_day(code), self.plan.last
            stop = False
            for post in records:  # newest first
                post_id, day = int(post.post_id), post.posted_at.date()
                if oldest and day < oldest:
                    stop = True
                    break
                if seen is not None and post_id <= seen:
                    if stop_at_seen:
                        stop = True
                        cursor.join(code)
                        break
                    if since and day >= since:
                        continue  # delivered by an earlier run
                cursor.saw(code, post_id)
                if newest_day is None or day <= newest_day:
                    self._wait_for_counts(code, post)
            yield from self._reaction_requests(full_only=True)
            if not stop and len(records) == PAGE_SIZE:  # a shorter page is the board's last
                offset = discussion_next_offset(Response(body=response.body, url=response.url))
                if offset:
                    yield self._page(code, offset)
        self.page_done(response, ok=records is not None)

    # -- reactions: counts for up to REACTIONS_BATCH posts per request, across stocks --------
    def _wait_for_counts(self, code: str, post: BoardPost) -> None:
        if code not in self.holding:  # the unit is not done before its posts are published
            self.holding.add(code)
            self.pending[code] += 1
        self.waiting.append(post)

    def _reaction_requests(self, *, full_only: bool):
        while len(self.waiting) >= REACTIONS_BATCH or (self.waiting and not full_only):
            batch, self.waiting = self.waiting[:REACTIONS_BATCH], self.waiting[REACTIONS_BATCH:]
            units = tuple(dict.fromkeys(p.code for p in batch))
            url = self.url("naver_stock", "/api/community/discussion/posts/reactions",
                           postIds=",".join(p.post_id for p in batch))
            yield self.request(url, source="naver_stock", parser="naver-discussion-reactions", unit=units[0],
                               units=units, callback=self.on_reactions, meta={"posts": batch})
            still = {p.code for p in self.waiting}
            for code in [c for c in self.holding if c not in still]:  # the request holds them now
                self.holding.discard(code)
                self.pending[code] -= 1

    def on_reactions(self, response):
        records = yield from self.parsed(response)
        if records is not None:
            counts = {r.post_id: r for r in records}
            for post in response.meta["posts"]:
                found = counts.get(post.post_id)
                if found is None:  # not in the answer (deleted since): the list's fields only
                    yield post
                else:
                    yield post.model_copy(update={"views": found.views, "likes": found.likes,
                                                  "dislikes": found.dislikes})
        self.page_done(response, ok=records is not None)

    def on_idle(self):
        """Every page is in: ask for the counts of the posts still waiting (a partial batch)."""
        if self.waiting and self.stop_reason is None:
            for request in self._reaction_requests(full_only=False):
                self.crawler.engine.crawl(request)
            raise DontCloseSpider
