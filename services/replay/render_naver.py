"""Naver's JSON APIs rendered from a world: chart, discussion, market value, industry,
integration and finance."""
from __future__ import annotations

import bisect
from functools import lru_cache

import orjson

from services.replay import board as board_text
from services.replay.financials import ROWS, fmt_figure, valuation
from services.replay.listing import SECTORS
from services.replay.reply import Reply, json_reply, not_found
from services.replay.world import World

FIRST_OFFSET = "-9223372036854775807"
REQUIRED_FLAGS = ("isHolderOnly", "excludesItemNews", "isItemNewsOnly")
REACTIONS_MAX = 30
CONTROL_ESCAPES = [(f"\\u{ord(c):04x}".encode(), c.encode()) for c in board_text.CONTROL]


def _paging(q: dict[str, str]) -> tuple[int, int]:
    """``page`` (from 1) and ``pageSize`` (default 20, at most 100) of an m.stock.naver.com list."""
    return max(int(q.get("page", "1")), 1), min(max(int(q.get("pageSize", "20")), 1), 100)


class NaverRenderer:
    """Bodies of the Naver endpoints for one world, cached per stock."""

    def __init__(self, world: World):
        self.world = world
        self.chart = lru_cache(maxsize=4096)(self._chart)
        self.board_pages = lru_cache(maxsize=1024)(self._board)
        self.integration = lru_cache(maxsize=4096)(self._integration)
        self.finance = lru_cache(maxsize=4096)(self._finance)
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(world.listing):
            if s["security_type"] == "stock":
                groups.setdefault(s["sector_no"], []).append(i)
        self.groups = groups
        self.by_market = {
            m: sorted((i for i, s in enumerate(world.listing) if s["market"] == m),
                      key=lambda i: -world.listing[i]["market_cap"])
            for m in ("KOSPI", "KOSDAQ")}
        self.traded_at = f"{world.end_session.isoformat()}T15:30:00+09:00"

    # -- api.stock.naver.com ---------------------------------------------------------------
    def _chart(self, kind: str, code: str, start: int, end: int) -> Reply:
        w = self.world
        lo, hi = w.day_range(start, end)
        rows = []
        if kind == "item":
            i = w.index_of.get(code)
            if i is None:
                return json_reply([])
            p = w.prices
            for t in range(lo, hi):
                rows.append({"localDate": w.days[t].replace("-", ""), "closePrice": float(p["close"][i, t]),
                             "openPrice": float(p["open"][i, t]), "highPrice": float(p["high"][i, t]),
                             "lowPrice": float(p["low"][i, t]),
                             "accumulatedTradingVolume": int(p["volume"][i, t]),
                             "foreignRetentionRate": float(p["foreign"][i, t])})
        else:
            series = w.indexes.get(code)
            if series is None:
                return json_reply([])
            for t in range(lo, hi):
                rows.append({"localDate": w.days[t].replace("-", ""), "closePrice": series["close"][t],
                             "openPrice": series["open"][t], "highPrice": series["high"][t],
                             "lowPrice": series["low"][t], "accumulatedTradingVolume": series["volume"][t]})
        return json_reply(rows)

    # -- stock.naver.com discussion --------------------------------------------------------
    def _board(self, code: str) -> tuple[list[int], list[bytes], list[bool], dict]:
        posts = self.world.board.get(code) or []
        keys, bodies, clean, by_id = [], [], [], {}
        for p in posts:  # newest first
            keys.append(int(p["id"]))
            bodies.append(self._post(p))
            clean.append(p["clean"])
            by_id[p["id"]] = p
        return [-k for k in keys], bodies, clean, by_id

    @staticmethod
    def _post(p: dict) -> bytes:
        doc = {"document": {"components": [{"value": [{"nodes": [{"value": line, "@ctype": "textNode"}],
                                                        "@ctype": "paragraph"} for line in p["lines"]],
                                             "@ctype": "text"}], "language": "ko-KR"}}
        body = orjson.dumps({
            "id": p["id"], "orderNo": f"-{p['id']}", "discussionType": "domesticStock",
            "itemCode": p["code"], "itemName": p["name"], "postType": "normal",
            "writer": {"profileId": p["profile_id"], "profileType": "normal", "nickname": p["nickname"],
                       "imageUrl": p["avatar"], "isHolderVerified": False, "isNiConnected": False,
                       "isRequester": False, "isFollowed": False, "notFollowed": False},
            "writtenAt": p["written_at"], "title": p["title"],
            "contentSwReplaced": board_text.body_html(p["lines"]),
            "contentSwReplacedButImg": board_text.body_text(p["lines"]),
            "contentJsonSwReplaced": orjson.dumps(doc).decode(),
            "topImageUrl": None, "topImageType": "NONE", "imageCount": 0, "isHolderVerified": False,
            "isCleanbotPassed": p["clean"], "replyDepth": p["reply_depth"], "parentId": p["parent_id"],
            "childOrderNo": 0, "commentCount": p["comments"], "recommended": False,
            "notRecommended": False, "reactionId": None,
            # as on the live site, the list's counts read 0: the real ones come from /posts/reactions
            "recommendCount": 0, "notRecommendCount": 0})
        for escaped, raw in CONTROL_ESCAPES:  # Naver sends raw control characters in strings
            body = body.replace(escaped, raw)
        return body

    def discussion(self, q: dict[str, str]) -> Reply:
        missing = [f for f in ("discussionType", "itemCode", *REQUIRED_FLAGS) if f not in q]
        if missing:
            return json_reply({"detailCode": "invalid_type", "fieldErrors": {
                f: ["Required"] for f in missing}}, status=400)
        try:
            size = int(q.get("pageSize", "20"))
            offset = int(q.get("offset", FIRST_OFFSET))
        except ValueError:
            return json_reply({"detailCode": "invalid_type", "fieldErrors": {"pageSize": ["Expected number"]}}, 400)
        if not 1 <= size <= 100:
            return json_reply({"detailCode": "too_big", "fieldErrors": {
                "pageSize": ["Number must be less than or equal to 100"]}}, status=400)
        order, bodies, clean, _ = self.board_pages(q["itemCode"])
        only_clean = q.get("isCleanbotPassedOnly") == "true"
        start = bisect.bisect_right(order, offset)
        picked: list[int] = []
        j = start
        while j < len(order) and len(picked) < size:
            if clean[j] or not only_clean:
                picked.append(j)
            j += 1
        last = f"{order[picked[-1]]}" if picked else None
        head = orjson.dumps({"offset": str(offset) if "offset" in q else FIRST_OFFSET, "pageSize": size})
        tail = orjson.dumps({"lastOffset": last})
        body = head[:-1] + b',"posts":[' + b",".join(bodies[j] for j in picked) + b"]," + tail[1:]
        return Reply(200, body)

    def _posts_by_id(self, ids: list[str]) -> list[dict]:
        w = self.world
        found = []
        for pid in ids:
            code = w.post_code(pid)
            if code is not None:
                post = self.board_pages(code)[3].get(pid)
                if post:
                    found.append(post)
        return found

    def reactions(self, q: dict[str, str]) -> Reply:
        """Counts of the first :data:`REACTIONS_MAX` ids asked (Naver's own pages ask for 30 a call;
        no capture shows a larger batch answered in full, so more are left unanswered here)."""
        ids = [x for x in q.get("postIds", "").split(",") if x][:REACTIONS_MAX]
        return json_reply([{"postId": p["id"], "recommendCount": p["likes"],
                            "notRecommendCount": p["dislikes"], "viewCount": p["views"]}
                           for p in self._posts_by_id(ids)])

    def comment_counts(self, q: dict[str, str]) -> Reply:
        ids = [x for x in q.get("postIds", "").split(",") if x]
        return json_reply({"commentCounts": [{"postId": p["id"], "commentCount": p["comments"]}
                                             for p in self._posts_by_id(ids)]})

    # -- m.stock.naver.com -----------------------------------------------------------------
    def market_value(self, market: str, q: dict[str, str]) -> Reply:
        members = self.by_market.get(market)
        if members is None:
            return not_found()
        page, size = _paging(q)
        w, last = self.world, len(self.world.days) - 1
        rows = []
        for i in members[(page - 1) * size: page * size]:
            s, close = w.listing[i], int(w.prices["close"][i, last])
            rows.append({"stockType": "domestic", "stockEndType": s["security_type"], "itemCode": s["code"],
                         "stockName": s["name"], "closePrice": f"{close:,}", "closePriceRaw": str(close),
                         "marketValue": f"{round(s['market_cap'] / 1e8):,}",
                         "marketValueRaw": str(s["market_cap"]), "localTradedAt": self.traded_at,
                         "marketStatus": "CLOSE"})
        return json_reply({"stockListSortType": "MARKET_VALUE", "stockListCategoryType": market,
                           "stocks": rows, "totalCount": len(members), "page": page, "pageSize": size,
                           "marketStatus": "CLOSE"})

    def industry(self, q: dict[str, str]) -> Reply:
        names = {str(no): name for no, name, *_ in SECTORS}
        groups = [{"no": int(no), "name": names[no], "totalCount": len(self.groups[no]),
                   "changeRate": "0.00", "riseCount": 0, "fallCount": 0, "steadyCount": len(self.groups[no])}
                  for no in sorted(self.groups, key=int)]
        return json_reply({"groups": groups, "totalCount": len(groups),
                           "page": int(q.get("page", "1")), "pageSize": int(q.get("pageSize", "100"))})

    def industry_group(self, no: str, q: dict[str, str]) -> Reply:
        """One page of a group's members, paged like the market-value ranking: ``page`` and
        ``pageSize`` (default 20, at most 100) with the group's ``totalCount``."""
        if no not in self.groups:
            return not_found()
        names = {str(n): name for n, name, *_ in SECTORS}
        page, size = _paging(q)
        last = len(self.world.days) - 1
        members = self.groups[no]
        stocks = [{"itemCode": self.world.listing[i]["code"], "stockName": self.world.listing[i]["name"],
                   "closePrice": f"{int(self.world.prices['close'][i, last]):,}"}
                  for i in members[(page - 1) * size: page * size]]
        return json_reply({"groupInfo": {"no": int(no), "name": names[no]}, "stocks": stocks,
                           "totalCount": len(members), "page": page, "pageSize": size})

    def _integration(self, code: str) -> Reply:
        w = self.world
        i = w.index_of.get(code)
        if i is None:
            return not_found()
        s, last = w.listing[i], len(w.days) - 1
        close = float(w.prices["close"][i, last])
        v = valuation(w.statement(code), close)
        foreign = float(w.prices["foreign"][i, last])

        def shown(value, suffix, decimals=2):
            return "-" if value is None else f"{value:,.{decimals}f}{suffix}"
        infos = [{"code": "lastClosePrice", "key": "전일", "value": f"{int(w.prices['close'][i, last - 1] if last else close):,}"},
                 {"code": "foreignRate", "key": "외인소진율", "value": f"{foreign:.2f}%"}]
        if s["security_type"] == "stock":
            infos += [{"code": "per", "key": "PER", "value": shown(v["per"], "배")},
                      {"code": "eps", "key": "EPS", "value": shown(v["eps"], "원", 0)},
                      {"code": "pbr", "key": "PBR", "value": shown(v["pbr"], "배")},
                      {"code": "bps", "key": "BPS", "value": shown(v["bps"], "원", 0)},
                      {"code": "dividendYieldRatio", "key": "배당수익률", "value": shown(v["dividend_yield"], "%")}]
        trends = []
        for t in range(last, max(last - 5, -1), -1):
            trends.append({"itemCode": code, "bizdate": w.days[t].replace("-", ""),
                           "foreignerHoldRatio": f"{float(w.prices['foreign'][i, t]):.2f}%",
                           "closePrice": f"{int(w.prices['close'][i, t]):,}",
                           "accumulatedTradingVolume": f"{int(w.prices['volume'][i, t]):,}"})
        body = {"stockEndType": s["security_type"], "itemCode": code, "reutersCode": code,
                "stockName": s["name"], "totalInfos": infos, "dealTrendInfos": trends}
        if s["security_type"] == "stock":
            body["industryCode"] = s["sector_no"]
        return json_reply(body)

    def _finance(self, code: str, kind: str) -> Reply:
        statement = self.world.statement(code)
        if self.world.stock(code) is None:
            return not_found()
        if statement is None:
            return json_reply({"financeInfo": {"trTitleList": [], "rowList": []}})
        cols = statement[kind]
        titles = [{"isConsensus": "Y" if c["estimate"] else "N",
                   "title": c["period"].replace("-", ".") + ".", "key": c["period"].replace("-", "")}
                  for c in cols]
        rows = [{"title": title, "columns": {c["period"].replace("-", ""): {
                    "value": fmt_figure(c["values"][metric], decimals)} for c in cols}}
                for metric, title, _unit, decimals in ROWS]
        return json_reply({"financeInfo": {"trTitleList": titles, "rowList": rows}})
