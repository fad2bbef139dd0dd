"""DART's website (dart.fss.or.kr: ``/main.do`` for the session cookie, ``POST
/dsac001/search.ax`` for the daily list) and OpenDART (``/api/list.json``, ``/api/corpCode.xml``),
rendered from a world's filings in the real markup and JSON (CONTRACTS-media.md §1-2).

What the site checks, as DART does: the daily list needs the session cookie ``/main.do`` set and
the Referer ``/dsac001/mainY.do`` (else a refusal page); OpenDART answers key errors as HTTP 200
with a status (100 no key, 010 unknown key), 100 for a window over 3 months without corp_code,
013 for no data. A day's list shows the filings received that day and visible at the world's
clock: today's list grows through the evening, and late filings join a past day's list.
"""
from __future__ import annotations

import calendar
import datetime as dt
import io
import secrets
import zipfile
from html import escape

import orjson

from services.replay.reply import HTML_UTF8, Reply, json_reply
from services.replay.world import World

MARKET_TAG = {"KOSPI": ("tagCom_kospi", "유가증권시장", "유"), "KOSDAQ": ("tagCom_kosdaq", "코스닥시장", "코"),
              "KONEX": ("tagCom_konex", "코넥스시장", "넥"), None: ("tagCom_etc", "기타법인", "기")}
GROUPING = {"Y": "KOSPI", "K": "KOSDAQ", "N": "KONEX", "E": None}
CORP_CLS = {"KOSPI": "Y", "KOSDAQ": "K", "KONEX": "N", None: "E"}
REFUSED = ("<html><head><title>DART</title></head><body><p>비정상적인 접근입니다. 메인 화면에서 다시 "
           "접속해 주세요.</p></body></html>").encode()
MAIN = ("<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>전자공시시스템 DART</title>"
        "</head><body><div id=\"wrap\"></div></body></html>").encode()
HEAD = """

<!--목록 -->
<div class="tbTitle">
 \t<h4>
\t\t\t{title}
\t\t&nbsp;<span class="txtCB" id="txtCB">{total}</span>건
\t\t\t\t\t({year}년 {month}월 {day}일)
\t</h4>
</div>
<div class="tbListInner" >
\t<table class="tbList" summary="시간,공시대상회사,보고서명,제출인,접수일자,비고 순으로 되어있습니다.">
\t\t<caption>{title} 목록</caption>
\t\t<thead>
\t\t\t<tr>
\t\t\t\t<th scope="row"><label for="inpSample00">시간</label></th>
\t\t\t\t<th scope="row"><label for="inpSample00">공시대상회사</label></th>
\t\t\t\t<th scope="row"><label for="inpSample00">보고서명</label></th>
\t\t\t\t<th scope="row"><label for="inpSample00">제출인</label></th>
\t\t\t\t<th scope="row"><label for="inpSample00">접수일자</label></th>
\t\t\t\t<th scope="row"><label for="inpSample00">비고</label></th>
\t\t\t</tr>
\t\t</thead>
\t\t\t\t<tbody>
"""
ROW = """\t\t\t\t\t\t<tr>
\t\t\t\t\t\t\t<td>
\t\t\t\t\t\t\t\t{time}
\t\t\t\t\t\t\t</td>
\t\t\t\t\t\t\t<td class="tL">
\t\t\t\t\t\t\t    <span class="innerWrap">
\t\t\t\t\t\t\t    \t<span class="{tag}" title="{market_title}" style="cursor:default">{letter}</span>
\t\t\t\t\t\t\t\t\t<a href="javascript:openCorpInfoNew('{corp_code}', 'winCorpInfo', '/dsae001/selectPopup.ax');" title="{corp} 기업개황 새창" >
\t\t\t\t\t\t\t\t\t\t{corp}
\t\t\t\t\t\t\t\t\t</a>
\t\t\t\t\t\t\t\t</span>
\t\t\t\t\t\t\t</td>
\t\t\t\t\t\t\t<td class="tL">
\t\t\t\t\t\t\t\t<a href="/dsaf001/main.do?rcpNo={rcp}"  onclick="openReportViewer('{rcp}'); return false;" id="r_{rcp}"
\t\t\t\t\t\t\t\t\ttitle="{plain} 공시뷰어 새창" >{report}
\t\t\t\t\t\t\t\t</a>
\t\t\t\t\t\t\t</td>
\t\t\t\t\t\t\t<td class="tL ellipsis" title="{submitter}">{submitter}</td>
\t\t\t\t\t\t\t<td>{date}</td>
\t\t\t\t\t\t\t<td></td>
\t\t\t\t\t\t</tr>
"""
EMPTY_ROW = '\t\t\t\t\t\t<tr><td colspan="6" class="no_data">검색된 자료가 없습니다.</td></tr>\n'
TAIL = """\t\t\t\t</tbody>
\t\t<input type="hidden" name="totalCnt" id="totalCnt" value="{total}">
\t</table>
</div>

\t<div class = "psWrap">
\t\t<div class="pageInfo">[{page}/{pages}] [총 {total}건]</div>
\t\t<div class="pageSkip">
\t\t\t<ul>
\t\t\t\t{links}
\t\t\t</ul>
\t\t</div>
\t</div>
"""
TAG = '<span title="본 보고서명으로 이미 제출된 보고서의 기재내용이 변경되어 제출된 것임" class="txtCB">[{}]</span>'


def _report_html(name: str) -> str:
    """The report cell's text: a leading [..] tag in its own span, as DART marks it."""
    if name.startswith("[") and "]" in name:
        tag, rest = name[1:].split("]", 1)
        return TAG.format(escape(tag)) + escape(rest)
    return escape(name)


def _plus_three_months(day: dt.date) -> dt.date:
    """OpenDART's window without corp_code: ``bgn + 3 calendar months >= end`` (measured)."""
    years, month0 = divmod(day.month + 2, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DartRenderer:
    """The DART website and OpenDART for one world; ``api_key`` is the only key OpenDART accepts."""

    def __init__(self, world: World, api_key: str | None):
        self.world = world
        self.api_key = api_key
        self.sessions: set[str] = set()
        data = world.filings or {"corps": [], "filings": []}
        self.filings = data["filings"]
        self.corps = data["corps"]
        self.by_day: dict[str, list[dict]] = {}
        for f in self.filings:
            self.by_day.setdefault(f["at"][:10], []).append(f)

    def visible(self, day: str) -> list[dict]:
        """A day's filings visible at the clock, newest first (time, then receipt number, desc)."""
        clock = self.world.clock
        rows = [f for f in self.by_day.get(day, ()) if f["at"] <= clock and f["visible"] <= clock]
        return sorted(rows, key=lambda f: (f["at"], f["receipt_no"]), reverse=True)

    # -- dart.fss.or.kr ---------------------------------------------------------------------
    def main(self) -> Reply:
        session = secrets.token_hex(16).upper()
        self.sessions.add(session)
        return Reply(200, MAIN, HTML_UTF8, (("Set-Cookie", f"JSESSIONID={session}.tomcat1; Path=/; HttpOnly"),
                                            ("Set-Cookie", f"WMONID={secrets.token_hex(6)}; Path=/")))

    def _has_session(self, headers: dict[str, str]) -> bool:
        cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
        return cookies.get("JSESSIONID", "").split(".")[0] in self.sessions

    def daily_list(self, form: dict[str, str], headers: dict[str, str]) -> Reply:
        if not self._has_session(headers) or "/dsac001/mainY.do" not in headers.get("referer", ""):
            return Reply(200, REFUSED, HTML_UTF8)
        try:
            day = dt.datetime.strptime(form.get("selectDate", ""), "%Y.%m.%d").date()
        except ValueError:
            return Reply(200, REFUSED, HTML_UTF8)
        per_page = min(max(int(form.get("maxResults") or 15), 1), 100)
        page = max(int(form.get("currentPage") or 1), 1)
        grouping = form.get("pageGrouping", "")
        rows = self.visible(day.isoformat())
        if grouping in GROUPING:
            rows = [f for f in rows if f["market"] == GROUPING[grouping]]
        total, pages = len(rows), max((len(rows) + per_page - 1) // per_page, 1)
        shown = rows[(page - 1) * per_page: page * per_page]
        title = {"Y": "유가증권시장", "K": "코스닥시장", "N": "코넥스시장", "E": "기타법인"}.get(grouping, "전체")
        parts = [HEAD.format(title=title, total=total, year=day.year, month=day.month, day=day.day)]
        for f in shown:
            tag, market_title, letter = MARKET_TAG[f["market"]]
            parts.append(ROW.format(
                time=f["at"][11:16], tag=tag, market_title=market_title, letter=letter, corp_code=f["corp_code"],
                corp=escape(f["corp_name"]), rcp=f["receipt_no"], plain=escape(f["report_name"]),
                report=_report_html(f["report_name"]), submitter=escape(f["submitter"]),
                date=day.strftime("%Y.%m.%d")))
        if not shown:
            parts.append(EMPTY_ROW)
        links = "".join(f'<li class="on"><a onClick="javascript:void(0);">{n}</a></li>' if n == page else
                        f'<li><a href="javascript:search({n});">{n}</a></li>' for n in range(1, min(pages, 10) + 1))
        parts.append(TAIL.format(total=total, page=page, pages=pages if total else 0, links=links))
        return Reply(200, "".join(parts).encode("utf-8"), HTML_UTF8)

    # -- opendart.fss.or.kr -----------------------------------------------------------------
    def _key_error(self, q: dict[str, str]) -> Reply | None:
        key = q.get("crtfc_key", "")
        if not key:
            return json_reply({"status": "100", "message": "인증키가 누락되었습니다."})
        if key != self.api_key:
            return json_reply({"status": "010", "message": "등록되지 않은 인증키입니다."})
        return None

    def list_json(self, q: dict[str, str]) -> Reply:
        error = self._key_error(q)
        if error:
            return error
        today = self.world.clock[:10].replace("-", "")
        end = q.get("end_de") or today
        begin = q.get("bgn_de") or end
        try:
            b, e = dt.datetime.strptime(begin, "%Y%m%d").date(), dt.datetime.strptime(end, "%Y%m%d").date()
            page_no, page_count = int(q.get("page_no") or 1), int(q.get("page_count") or 10)
        except ValueError:
            return json_reply({"status": "100", "message": "필드의 부적절한 값입니다."})
        if not q.get("corp_code") and e > _plus_three_months(b):
            return json_reply({"status": "100", "message": "corp_code가 없는 경우 검색기간은 3개월만 가능합니다."})
        if not 1 <= page_count <= 100 or page_no < 1:
            return json_reply({"status": "100", "message": "필드의 부적절한 값입니다."})
        clock = self.world.clock
        rows = [f for f in self.filings if begin <= f["receipt_no"][:8] <= end and f["visible"] <= clock
                and f["at"] <= clock and (not q.get("corp_code") or f["corp_code"] == q["corp_code"])]
        rows.sort(key=lambda f: (f["visible"], f["receipt_no"]), reverse=True)  # publication order, newest first
        if not rows:
            return json_reply({"status": "013", "message": "조회된 데이타가 없습니다."})
        shown = rows[(page_no - 1) * page_count: page_no * page_count]
        body = {"status": "000", "message": "정상", "page_no": page_no, "page_count": page_count,
                "total_count": len(rows), "total_page": (len(rows) + page_count - 1) // page_count,
                "list": [{"corp_code": f["corp_code"], "corp_name": f["corp_name"], "stock_code": f["stock_code"] or "",
                          "corp_cls": CORP_CLS[f["market"]], "report_nm": f["report_name"], "rcept_no": f["receipt_no"],
                          "flr_nm": f["submitter"], "rcept_dt": f["receipt_no"][:8],
                          "rm": {"KOSPI": "유", "KOSDAQ": "코", "KONEX": "넥"}.get(f["market"], "")
                          if f["receipt_no"][8:10] != "00" else ""} for f in shown]}
        return Reply(200, orjson.dumps(body), "application/json;charset=UTF-8")

    def corp_codes(self, q: dict[str, str]) -> Reply:
        error = self._key_error(q)
        if error:
            status = orjson.loads(error.body)
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><result><status>{status["status"]}</status>'
                   f'<message>{status["message"]}</message></result>').encode()
            return Reply(200, xml, "application/xml;charset=UTF-8")
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<result>"]
        for c in self.corps:
            lines.append(f"    <list>\n        <corp_code>{c['corp_code']}</corp_code>\n"
                         f"        <corp_name>{escape(c['corp_name'])}</corp_name>\n"
                         f"        <corp_eng_name></corp_eng_name>\n"
                         f"        <stock_code>{c['stock_code'] or ' '}</stock_code>\n"
                         f"        <modify_date>{self.world.meta['from'].replace('-', '')}</modify_date>\n    </list>")
        lines.append("</result>")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("CORPCODE.xml", "\n".join(lines).encode("utf-8"))
        return Reply(200, buf.getvalue(), "application/x-msdownload")
