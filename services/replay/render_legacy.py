"""Archived copies of the closed finance.naver.com pages rendered from a world: 일별시세
(``sise_day``, EUC-KR), 종목토론실 (``board``, UTF-8 as served in 2026) and the main page's
기업실적분석 table (``main``, EUC-KR), in the markup ``shared/parsers/naver_legacy.py`` reads."""
from __future__ import annotations

from functools import lru_cache
from html import escape

from services.replay.financials import ROWS, fmt_figure
from services.replay.reply import HTML_EUCKR, Reply
from services.replay.world import World

HTML_UTF8_LEGACY = "text/html;charset=UTF-8"
BOARD_PAGE = 20
HIDDEN_TITLE = "클린봇이 이용자 보호를 위해 숨긴 게시글입니다."
#: ROWS are th_cop_anal8..23 in order; the real page lists them in this order
PAGE_ORDER = (8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 18, 21, 19, 22, 23)


def euckr(text: str) -> bytes:
    return text.encode("euc-kr", errors="xmlcharrefreplace")


def _navi(name: str, code: str, page: int, last_page: int) -> str:
    """``table.Nnavi``: the block of ten page links around ``page`` and ``td.pgRR`` (맨뒤)."""
    first = (page - 1) // 10 * 10 + 1
    cells = []
    for n in range(first, min(first + 10, last_page + 1)):
        cls = " class=\"on\"" if n == page else ""
        cells.append(f"<td{cls}><a href=\"/item/{name}.naver?code={code}&amp;page={n}\">{n}</a></td>\n")
    cells.append(f"<td class=\"pgRR\"><a href=\"/item/{name}.naver?code={code}&amp;page={last_page}\">맨뒤</a></td>\n")
    return ("<table summary=\"페이지 네비게이션 리스트\" class=\"Nnavi\" align=\"center\">\n<tr>\n"
            + "".join(cells) + "</tr>\n</table>\n")


class LegacyRenderer:
    """Bodies of the archived finance.naver.com pages for one world (as of the world's clock)."""

    def __init__(self, world: World):
        self.world = world
        self.sise_day = lru_cache(maxsize=4096)(self._sise_day)
        self.board = lru_cache(maxsize=4096)(self._board)
        self.main = lru_cache(maxsize=4096)(self._main)

    def _sise_day(self, code: str, page: int) -> Reply:
        w = self.world
        i = w.index_of.get(code)
        n = len(w.days) if i is not None else 0
        last_page = max((n + 9) // 10, 1)
        page = min(page, last_page)  # a page past the end repeats the last page
        out = ["<html lang=\"ko\">\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">\n"
               "<title>네이버페이 증권</title>\n</head>\n<body>\n<table cellspacing=\"0\" class=\"type2\">\n<tr>\n"
               "<th>날짜</th>\n<th>종가</th>\n<th>전일비</th>\n<th>시가</th>\n<th>고가</th>\n<th>저가</th>\n<th>거래량</th>\n"
               "</tr>\n<tr>\n<td colspan=\"7\" height=\"8\"></td>\n</tr>\n"]
        p = w.prices
        for k, t in enumerate(range(n - 1 - (page - 1) * 10, max(n - 1 - page * 10, -1), -1)):
            if k == 5:
                out.append("<tr>\n<td colspan=\"7\" height=\"8\"></td>\n</tr>\n")
            close = int(p["close"][i, t])
            prev = int(p["close"][i, t - 1]) if t else close
            diff = close - prev
            mark, word, color = (("bu_pup", "상승", "red02") if diff > 0 else
                                 ("bu_pdn", "하락", "nv01") if diff < 0 else ("bu_pn", "보합", ""))
            if prev and close >= prev * 1.29 and diff > 0:
                mark, word = "bu_pup2", "상한가"
            cells = "".join(f"<td class=\"num\"><span class=\"tah p11\">{int(p[key][i, t]):,}</span></td>\n"
                            for key in ("open", "high", "low", "volume"))
            out.append(
                "<tr onMouseOver=\"mouseOver(this)\" onMouseOut=\"mouseOut(this)\">\n"
                f"<td align=\"center\"><span class=\"tah p10 gray03\">{w.days[t].replace('-', '.')}</span></td>\n"
                f"<td class=\"num\"><span class=\"tah p11\">{close:,}</span></td>\n<td class=\"num\">\n"
                f"<em class=\"bu_p {mark}\"><span class=\"blind\">{word}</span></em><span class=\"tah p11 {color}\">\n"
                f"{abs(diff):,}\n</span>\n</td>\n{cells}</tr>\n")
        out.append("</table>\n<table summary=\"페이지 네비게이션 리스트\" class=\"Nnavi\" align=\"center\">\n<tr>\n"
                   f"<td class=\"on\"><a href=\"/item/sise_day.naver?code={code}&amp;page={page}\">{page}</a></td>\n"
                   f"<td class=\"pgRR\"><a href=\"/item/sise_day.naver?code={code}&amp;page={last_page}\">맨뒤</a></td>\n"
                   "</tr>\n</table>\n</body>\n</html>\n")
        return Reply(200, euckr("".join(out)), HTML_EUCKR)

    def _board(self, code: str, page: int) -> Reply:
        """종목토론실 list page: 20 posts, newest first; clean-bot-hidden posts have no link."""
        w = self.world
        stock = w.stock(code)
        posts = (w.board.get(code) or []) if stock else []
        last_page = max((len(posts) + BOARD_PAGE - 1) // BOARD_PAGE, 1)
        page = min(page, last_page)  # a page past the end repeats the last page
        name = escape(stock["name"]) if stock else ""
        out = [f"<html lang=\"ko\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
               f"<title>{name} : 네이버페이 증권</title></head>\n<body><div id=\"content\">"
               "<div class=\"section inner_sub\">\n<table class=\"type2\" summary=\"게시판 리스트\">\n"
               "<tr><th>날짜</th><th>제목</th><th>글쓴이</th><th>조회</th><th>공감</th><th>비공감</th></tr>\n"
               "<tr><td colspan=\"6\" class=\"blank_08\"></td></tr>\n"]
        for p in posts[(page - 1) * BOARD_PAGE: page * BOARD_PAGE]:
            when = p["written_at"][:16].replace("-", ".").replace("T", " ")
            if p["clean"]:
                title = escape(p["title"], quote=True)
                comments = (f" <span class=\"tah p9\" style=\"color:#ff6600\">[{p['comments']}]</span>"
                            if p["comments"] else "")
                cell = (f"<a href=\"/item/board_read.naver?code={code}&amp;nid={p['id']}&amp;st=&amp;sw=&amp;"
                        f"page={page}\" title=\"{title}\">{title}</a>{comments}")
            else:
                cell = f"<span class=\"cleanbot_list\">{HIDDEN_TITLE}</span>"
            out.append(
                "<tr onMouseOver=\"mouseOver(this)\" onMouseOut=\"mouseOut(this)\">\n"
                f"<td><span class=\"tah p10 gray03\">{when}</span></td>\n<td class=\"title\">\n{cell}\n</td>\n"
                f"<td class=\"p11\">{escape(p['nickname'])}</td>\n"
                f"<td><span class=\"tah p10 gray03\">{p['views']:,}</span></td>\n"
                f"<td><strong class=\"tah p10 red01\">{p['likes']:,}</strong></td>\n"
                f"<td><strong class=\"tah p10 blue01\">{p['dislikes']:,}</strong></td>\n</tr>\n")
        out.append("<tr><td colspan=\"6\" class=\"blank_08\"></td></tr>\n</table>\n")
        out.append(_navi("board", code, page, last_page))
        out.append("</div></div></body></html>\n")
        return Reply(200, "".join(out).encode("utf-8"), HTML_UTF8_LEGACY)

    def _main(self, code: str) -> Reply:
        """The main page's 기업실적분석 (``div.section.cop_analysis``): 4 annual + 6 quarterly
        columns as of the world's clock, ``(E)`` on estimates, rows keyed ``th_cop_anal{N}``."""
        w = self.world
        stock = w.stock(code)
        statement = w.statement(code) if stock else None
        name = escape(stock["name"]) if stock else ""
        out = ["\n\n<html lang='ko'>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">\n"
               f"<title>{name} : 네이버페이 증권</title>\n</head>\n<body>\n<div id=\"content\">\n"]
        if statement:
            cols = statement["annual"] + statement["quarter"]
            n_annual = len(statement["annual"])
            heads = []
            for k, c in enumerate(cols):
                cls = " ".join(filter(None, ("t_line" if k == n_annual - 1 else "",
                                             "last" if k == len(cols) - 1 else "",
                                             "cell_strong" if c["estimate"] else "")))
                mark = "<em>&#40;E&#41;</em>" if c["estimate"] else ""
                heads.append(f"\t<th scope=\"col\" class=\"{cls}\">\n\t\t{c['period'].replace('-', '.')}{mark}\n\t</th>\n")
            out.append(
                "<div class=\"section cop_analysis\">\n<h4 class=\"h_sub sub_tit6\"><span>기업실적분석</span></h4>\n"
                "<div class=\"sub_section\">\n<table summary=\"기업실적분석에 관한표이며 주요재무정보를 최근 연간 실적, "
                "분기 실적에 따라 정보를 제공합니다.\" class=\"tb_type1 tb_num tb_type1_ifrs\">\n"
                "<caption>기업실적분석 테이블</caption>\n<thead>\n<tr class=\"t_line\">\n"
                "\t<th rowspan=\"3\" class=\"h_th2 th_cop_anal5 b_line\"><strong>주요재무정보</strong></th>\n"
                f"\t<th scope=\"col\" colspan=\"{n_annual}\" class=\"h_th2 th_cop_anal6\"><strong>최근 연간 실적</strong></th>\n"
                f"\t<th scope=\"col\" colspan=\"{len(cols) - n_annual}\" class=\"h_th2 th_cop_anal7 last\">"
                "<strong>최근 분기 실적</strong></th>\n</tr>\n<tr>\n" + "".join(heads) + "</tr>\n<tr class=\"b_line\">\n"
                + "".join("\t<th scope=\"col\" class=\"link_ifrs\"><span>IFRS연결</span></th>\n" for _ in cols)
                + "</tr>\n</thead>\n<tbody>\n")
            by_number = {n: (metric, title, decimals) for n, (metric, title, _u, decimals)
                         in zip(range(8, 24), ROWS)}
            for n in PAGE_ORDER:
                metric, title, decimals = by_number[n]
                cells = []
                for c in cols:
                    value = c["values"][metric]
                    cells.append("\t<td class=\"null\">&nbsp;</td>\n" if value is None else
                                 f"\t<td class=\"\">\n\t\t{fmt_figure(value, decimals)}\n\t</td>\n")
                out.append(f"<tr>\n\t<th scope=\"row\" class=\"h_th2 th_cop_anal{n}\"><strong>{title}</strong></th>\n"
                           + "".join(cells) + "</tr>\n")
            out.append("</tbody>\n</table>\n</div>\n</div>\n")
        out.append("</div>\n</body>\n</html>\n")
        return Reply(200, euckr("".join(out)), HTML_EUCKR)
