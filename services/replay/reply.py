"""What a route answers: status, headers and body bytes."""
from __future__ import annotations

from typing import NamedTuple

import orjson

JSON_UTF8 = "application/json; charset=utf-8"
HTML_UTF8 = "text/html; charset=utf-8"
HTML_EUCKR = "text/html; charset=EUC-KR"


class Reply(NamedTuple):
    status: int
    body: bytes
    content_type: str = JSON_UTF8
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(value, status: int = 200) -> Reply:
    return Reply(status, orjson.dumps(value))


NOT_FOUND_HTML = ("<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>네이버 증권</title>"
                  "</head><body><div id=\"__next\"><div class=\"ErrorPage_article__\"><h2>페이지를 찾을 수 "
                  "없습니다.</h2><p>존재하지 않는 주소를 입력하셨거나, 요청하신 페이지의 주소가 변경, 삭제되어 찾을 "
                  "수 없습니다.</p><a href=\"https://m.stock.naver.com/\">증권 홈으로</a></div></div></body></html>"
                  ).encode("utf-8")


def not_found() -> Reply:
    """What m.stock answers for a wrong path: an HTML page, not JSON."""
    return Reply(404, NOT_FOUND_HTML, HTML_UTF8)
