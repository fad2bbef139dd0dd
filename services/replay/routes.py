"""Which source answers which path: one table of the sources' real paths for a simulated world."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from services.replay.render_dart import DartRenderer
from services.replay.reply import Reply, not_found
from services.replay.render_feeds import TEAPOT, FeedRenderer, looks_like_browser
from services.replay.render_naver import NaverRenderer
from services.replay.render_pages import PageRenderer
from services.replay.world import World

KST = ZoneInfo("Asia/Seoul")
CHART = re.compile(r"^/chart/domestic/(item|index)/([0-9A-Za-z]+)/day$")
MARKET_VALUE = re.compile(r"^/api/stocks/marketValue/([A-Za-z]+)$")
INDUSTRY = re.compile(r"^/api/stocks/industry(?:/(\d+))?$")
STOCK = re.compile(r"^/api/stock/([0-9A-Za-z]{6})/(integration|finance/annual|finance/quarter)$")
GRAPHDATA = re.compile(r"^/index/fearandgreed/graphdata(?:/(\d{4}-\d{2}-\d{2}))?$")
DART_PATHS = ("/main.do", "/dsac001/search.ax", "/api/list.json", "/api/corpCode.xml")
LEGACY = re.compile(r"^/item/(sise_day|board|main)\.(?:naver|nhn)$")


def _ymd(text: str, default: int) -> int:
    digits = text[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else default


class WorldRoutes:
    """Answers every source path from one simulated world."""

    def __init__(self, world: World, *, legacy: str = "closed", authkey: str | None = None,
                 daily_limit: int = 1000, opendart_key: str | None = None):
        self.world = world
        self.naver = NaverRenderer(world)
        self.pages = PageRenderer(world, legacy)
        self.feeds = FeedRenderer(world, authkey, daily_limit)
        self.dart = DartRenderer(world, opendart_key)

    @staticmethod
    def cacheable(path: str, q: dict[str, str]) -> bool:
        """Whether the answer depends on the path and query alone (not on headers, call counts or
        today's date), so the server may keep the whole body per URL until the clock moves."""
        if path == "/site/program/financial/exchangeJSON" or path.startswith("/index/fearandgreed") \
                or path in DART_PATHS:
            return False
        return not (path == "/rank/interest" and not q.get("date"))

    def set_clock(self, now: str | None) -> str:
        """Move the world's clock (see ``World.set_clock``) and drop bodies rendered before."""
        clock = self.world.set_clock(now)
        for cached in (self.naver.integration, self.naver.finance, self.pages.archive.main):
            cached.cache_clear()
        return clock

    def answer(self, method: str, path: str, q: dict[str, str], headers: dict[str, str]) -> Reply:
        if path == "/dsac001/search.ax":  # DART's daily list is a form POST (q holds the form)
            return self.dart.daily_list(q, headers) if method == "POST" else not_found()
        if method not in ("GET", "HEAD"):
            return not_found()
        if path == "/main.do":
            return self.dart.main()
        if path == "/api/list.json":
            return self.dart.list_json(q)
        if path == "/api/corpCode.xml":
            return self.dart.corp_codes(q)
        if m := CHART.match(path):
            return self.naver.chart(m.group(1), m.group(2).upper(), _ymd(q.get("startDateTime", ""), 0),
                                    _ymd(q.get("endDateTime", ""), 99999999))
        if path == "/api/community/discussion/posts/by-item":
            return self.naver.discussion(q)
        if path == "/api/community/discussion/posts/reactions":
            return self.naver.reactions(q)
        if path == "/api/community/discussion/posts/comment-counts":
            return self.naver.comment_counts(q)
        if m := MARKET_VALUE.match(path):
            return self.naver.market_value(m.group(1).upper(), q)
        if m := INDUSTRY.match(path):
            return self.naver.industry_group(m.group(1), q) if m.group(1) else self.naver.industry(q)
        if m := STOCK.match(path):
            code, what = m.group(1).upper(), m.group(2)
            if what == "integration":
                return self.naver.integration(code)
            return self.naver.finance(code, what.split("/")[1])
        if path == "/corpgeneral/corpList.do":
            return self.pages.kind() if q.get("method") == "download" else not_found()
        if path == "/rank/interest":
            date = q.get("date") or dt.datetime.now(KST).strftime("%Y%m%d")
            if not re.fullmatch(r"\d{8}", date):
                return not_found()
            return self.pages.nate(q.get("sc", "all"), date, 2 if q.get("page") == "2" else 1)
        if m := GRAPHDATA.match(path):
            if not looks_like_browser(headers):
                return TEAPOT
            return self.feeds.graphdata(m.group(1))
        if path in ("/markets/fear-and-greed", "/markets/fear-and-greed/"):
            return self.feeds.page()
        if path == "/site/program/financial/exchangeJSON":
            return self.feeds.exchange(q, dt.datetime.now(KST).date())
        if m := LEGACY.match(path):
            return self.pages.legacy_page(m.group(1), q)
        return not_found()
