"""HTML sources rendered from a world: Nate ranking (EUC-KR), KIND download (EUC-KR .xls) and
finance.naver.com legacy pages (410/302 now, or archived copies: ``render_legacy``)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from html import escape

from services.replay.render_legacy import LegacyRenderer, euckr
from services.replay.reply import HTML_EUCKR, HTML_UTF8, Reply
from services.replay.world import World

GONE_HTML = ("<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>네이버페이 증권</title>"
             "</head><body><div class=\"error_content\"><h2>이 페이지는 더 이상 제공되지 않습니다</h2>"
             "<p>새로운 네이버페이 증권에서 종목 정보를 확인하세요.</p>"
             "<a href=\"https://stock.naver.com/\">네이버페이 증권 바로가기</a></div></body></html>"
             ).encode("utf-8")
KIND_MARKETS = {"KOSPI": "유가", "KOSDAQ": "코스닥", "KONEX": "코넥스"}
WEEKDAYS = "월화수목금토일"


class PageRenderer:
    """Bodies of the HTML endpoints for one world."""

    def __init__(self, world: World, legacy: str = "closed"):
        self.world = world
        self.legacy = legacy
        self.nate = lru_cache(maxsize=4096)(self._nate)
        self.kind = lru_cache(maxsize=1)(self._kind)
        self.archive = LegacyRenderer(world)

    # -- news.nate.com ----------------------------------------------------------------------
    def _nate(self, section: str, date: str, page: int) -> Reply:
        day = dt.date(int(date[:4]), int(date[4:6]), int(date[6:8]))
        ranked = self.world.news.get(day.isoformat())
        rows = ranked.get(section) if ranked else None
        if rows is None:
            rows = []
        base = f"//news.nate.com/rank/interest?sc={section}&amp;p=day&amp;date={date}"
        out = ["<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta http-equiv=\"Content-Type\" "
               "content=\"text/html; charset=euc-kr\" />\n<title>랭킹뉴스 : 네이트 뉴스</title>\n</head>\n"
               "<body>\n<div id=\"container\">\n",
               f"<div class=\"news_date\"><img alt=\"{day:%Y}년\" /><img alt=\"{day:%m}월\" />"
               f"<img alt=\"{day:%d}일\" /></div>\n"]
        first = 1 if page == 1 else 51
        chunk = rows[first - 1:first + 49]
        if page == 1:
            out.append("<div class=\"postRankSubjectList f_clear\">\n")
            for k, row in enumerate(chunk[:5]):
                rank = first + k
                out.append(
                    f"\t<div class=\"mduSubjectList f_clear\">\n\t\t<dl class=\"mduRank rank{rank}\">\n"
                    f"\t\t\t<dt><em>{rank}</em></dt>\n\t\t\t<dd><span class=\"noupdown\">-<i>순위변동없음</i>"
                    f"</span></dd>\n\t\t</dl>\n\t\t<div class=\"mlt01\">\n"
                    f"\t\t\t<a href=\"//news.nate.com/view/{row['aid']}?mid={row['mid']}\" class=\"lt1\" "
                    f"onclick=\"ndrclick('');\">\n\t\t\t\t<span class=\"ib\"><em class=\"mediatype\"></em></span>"
                    f"<span class=\"tb\">\n\t\t\t\t\t<h2 class=\"tit\">{escape(row['title'], quote=True)}</h2>\n"
                    f"\t\t\t\t\t{escape(row['title'])} 관련 기사입니다...\t\t\t\t</span>\n\t\t\t</a>\n"
                    f"\t\t\t<span class=\"medium\">{escape(row['press'])}<em>{day.isoformat()}</em></span>\n"
                    f"\t\t</div>\n\t</div><!-- //mduSubjectList -->\n")
            out.append("</div>\n")
            chunk, first = chunk[5:], first + 5
        out.append("<div class=\"postRankSubject\" id=\"postRankSubject\">\n"
                   "\t<ul class=\"mduSubject mduRankSubject\">\n")
        for k, row in enumerate(chunk):
            rank = first + k
            out.append(
                f"\t\t<li>\n\t\t\t<dl class=\"mduRank rank{rank}\">\n\t\t\t<dt><em>{rank}</em></dt>\n"
                f"\t\t\t<dd> <span class=\"up\">상승</span><span><em>1</em></span></dd>\n\t\t\t</dl>\n"
                f"\t\t\t<a href=\"//news.nate.com/view/{row['aid']}?mid={row['mid']}\" onclick=\"ndrclick('');\">"
                f"<h2>{escape(row['title'], quote=True)}</h2></a>\n"
                f"\t\t\t<span class=\"medium\">{escape(row['press'])}</span>\n\t\t</li>\n")
        out.append("\t</ul>\n</div>\n<div class=\"rank_page\">\n"
                   f"\t<a href=\"{base}\" onclick=\"ndrclick('RNK01');\">"
                   f"{'<strong>1-50위</strong>' if page == 1 else '<span>1-50위</span>'}</a>\n"
                   "\t<span class=\"division\">/</span>\n"
                   f"\t<a href=\"{base}&amp;page=2\" onclick=\"ndrclick('RNK01');\">"
                   f"{'<span>51-100위</span>' if page == 1 else '<strong>51-100위</strong>'}</a>\n</div>\n"
                   "<div class=\"weekpagingNotCal f_clear\">\n")
        for back in range(7):
            d = day - dt.timedelta(days=back)
            label = f"{d:%m-%d}({WEEKDAYS[d.weekday()]})"
            out.append(f"\t<strong>{label}</strong>\n" if back == 0 else
                       f"\t<span>|</span>\n\t<a href=\"/rank/interest?sc={section}&amp;p=day&amp;date="
                       f"{d:%Y%m%d}\" onclick=\"ndrclick('RML04');\">{label}</a>\n")
        out.append("</div>\n</div>\n</body>\n</html>\n")
        return Reply(200, euckr("".join(out)), HTML_EUCKR)

    # -- kind.krx.co.kr ---------------------------------------------------------------------
    def _kind(self) -> Reply:
        cols = ("회사명", "시장구분", "종목코드", "업종", "주요제품", "상장일", "결산월", "대표자명", "홈페이지", "지역")
        out = ["\n\n\n\n\n\n\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta http-equiv=\"Content-Type\" "
               "content=\"text/html; charset=euc-kr\" />\n<title>상장법인목록(EXCEL)</title>\n</head>\n<body>\n"
               "\t<table cellpadding=\"0\" cellspacing=\"1\" class=\"bbs_tb\" border=\"1\">\n\t\n",
               "".join(f"\t<col width=\"{w}%\" />\n" for w in (20, 10, 15, 20, 10, 5, 8, 7, 5)),
               "\t<tr>\n", "".join(f"\t\t<th bgcolor=\"#66FF99\" >{c}</th>\n" for c in cols), "\t</tr>\n\t\n"]
        companies = [s for s in self.world.listing if s["security_type"] == "stock"]
        for s in sorted(companies, key=lambda s: (s["listed_date"], s["code"]), reverse=True):
            out.append(
                f"\t\t\t\n\t<tr>\n\t\t<td>{escape(s['name'])}</td>\n\t\t<td>\n\t\t\t\n\t\t\t\t\n\t\t\t\t\t\t\n"
                f"\t\t\t\t\t{KIND_MARKETS[s['market']]}\n\t\t\t\t\t\n\t\t\t\t\t\n\t\t\t\t\t\t\n\t\t\t\n\t\t</td>\n"
                f"\t\t<td style=\"mso-number-format:'@';text-align:center;\">{s['code']}</td>\n"
                f"\t\t<td>{escape(s['kind_sector'])}</td>\n\t\t<td>{escape(s['product'])}</td>\n"
                f"\t\t<td style=\"text-align:center;\">{s['listed_date']}</td>\n"
                f"\t\t<td style=\"text-align:center;\">{s['fiscal_month']:02d}월</td>\n"
                f"\t\t<td>{s['ceo']}</td>\n\t\t<td>\n\t\t\t{s['homepage']}\n\t\t</td>\n"
                f"\t\t<td >{s['region']}</td>\n\t</tr>\n")
        out.append("\t\n\t</table>\n</body>\n</html>\n")
        return Reply(200, euckr("".join(out)), "application/vnd.ms-excel; charset=EUC-KR",
                     (("Content-Disposition", "attachment; filename=\"corpList.xls\""),))

    # -- finance.naver.com legacy -----------------------------------------------------------
    def legacy_page(self, page_name: str, q: dict[str, str]) -> Reply:
        code = q.get("code", "")
        if self.legacy == "closed":
            if page_name == "sise_day":
                return Reply(410, GONE_HTML, HTML_UTF8)
            target = f"https://stock.naver.com/domestic/stock/{code}"
            if page_name == "board":
                target += "/discussion"
            return Reply(302, b"", HTML_UTF8, (("Location", target),))
        if page_name == "main":
            return self.archive.main(code)
        page = max(int(q.get("page", "1") or 1), 1)
        return self.archive.sise_day(code, page) if page_name == "sise_day" else self.archive.board(code, page)
