"""The replay site's DART and OpenDART: real formats, paging, the session cookie and Referer,
key errors, and past windows that grow as late filings arrive; every page parses with the real
parsers into the world's truth."""
from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import orjson
import pytest

from services.replay.filings import record_of
from shared.parsers import ConfigurationError, Response, parse
from shared.parsers.dart import daily_list_paging
from tests.replay.conftest import Served

KEY = "opendart-test-key-not-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded",
        "Referer": "https://dart.fss.or.kr/dsac001/mainY.do"}


@pytest.fixture(scope="module")
def dart_server(world_dir):
    served = Served(["--world", str(world_dir)], env={"REPLAY_OPENDART_API_KEY": KEY})
    yield served
    served.stop()


def _world(world_dir) -> dict:
    return json.loads((world_dir / "filings.json").read_text(encoding="utf-8"))


def _session(server) -> str:
    """The Cookie header a browser sends after visiting /main.do (both Set-Cookie headers)."""
    with urllib.request.urlopen(server.base + "/main.do", timeout=10) as res:
        assert res.status == 200
        return "; ".join(c.split(";")[0] for c in res.headers.get_all("Set-Cookie"))


def _list_page(server, cookie: str, day: str, page: int, per_page: int = 100, referer: bool = True):
    form = urlencode({"currentPage": page, "maxResults": per_page, "maxLinks": 10, "sort": "time", "series": "desc",
                      "pageGrouping": "", "mdayCnt": 0, "selectDate": day}).encode()
    headers = {**FORM, "Cookie": cookie} if cookie else dict(FORM)
    if not referer:
        headers.pop("Referer")
    status, hdrs, body = server.get("/dsac001/search.ax", headers=headers, method="POST", data=form)
    return Response(body=body, url=server.base + "/dsac001/search.ax", headers=hdrs, status=status)


def _busiest_day(world_dir) -> str:
    days = {}
    for f in _world(world_dir)["filings"]:
        days[f["at"][:10]] = days.get(f["at"][:10], 0) + 1
    return max(days, key=days.get)


def test_given_a_session_when_a_days_list_is_paged_then_every_row_parses_to_the_worlds_truth(dart_server, world_dir):
    day = _busiest_day(world_dir)
    cookie = _session(dart_server)
    first = _list_page(dart_server, cookie, day.replace("-", "."), 1, per_page=15)
    paging = daily_list_paging(first)
    assert paging.pages > 1, "the busiest day should need several pages of 15"
    got = []
    for page in range(1, paging.pages + 1):
        got += parse("dart-daily-list", _list_page(dart_server, cookie, day.replace("-", "."), page, per_page=15))
    truth = {f["receipt_no"]: record_of(f) for f in _world(world_dir)["filings"] if f["at"][:10] == day}
    assert len(got) == paging.total == len(truth)
    for record in got:
        want = truth[record.receipt_no]
        assert record.model_dump(exclude={"stock_code"}) == want.model_dump(exclude={"stock_code"})
    times = [r.disclosed_at for r in got]
    assert times == sorted(times, reverse=True)


def test_given_no_session_cookie_or_no_referer_when_listing_then_a_refusal_page(dart_server, world_dir):
    day = _busiest_day(world_dir).replace("-", ".")
    for response in (_list_page(dart_server, "", day, 1),
                     _list_page(dart_server, _session(dart_server), day, 1, referer=False)):
        with pytest.raises(Exception) as caught:
            parse("dart-daily-list", response)
        assert type(caught.value).__name__ == "Blocked"


def test_given_a_day_without_filings_when_listed_then_an_empty_list(dart_server, world_dir):
    weekend = next(f["at"][:10] for f in _world(world_dir)["filings"])  # a filing day; its Sunday before is empty
    import datetime as dt
    day = dt.date.fromisoformat(weekend)
    sunday = day - dt.timedelta(days=(day.weekday() + 1) % 7 or 7)
    response = _list_page(dart_server, _session(dart_server), sunday.strftime("%Y.%m.%d"), 1)
    assert parse("dart-daily-list", response) == []
    assert daily_list_paging(response).total == 0


@pytest.mark.parametrize("key, status", [("", "100"), ("wrong-key", "010")])
def test_given_a_missing_or_wrong_key_when_calling_opendart_then_status_as_http_200_and_a_configuration_error(
        dart_server, key, status):
    for path in ("/api/list.json", "/api/corpCode.xml"):
        code, headers, body = dart_server.get(f"{path}?{urlencode({'crtfc_key': key})}")
        assert code == 200 and f"{status}".encode() in body
        parser = "opendart-list" if path.endswith("json") else "opendart-corp-code"
        with pytest.raises(ConfigurationError):
            parse(parser, Response(body=body, url=dart_server.base + path, headers=headers))


def test_given_a_window_over_three_months_without_corp_code_when_listing_then_status_100(dart_server):
    _, _, body = dart_server.get("/api/list.json?" + urlencode({"crtfc_key": KEY, "bgn_de": "20260101",
                                                                "end_de": "20260402"}))
    assert orjson.loads(body)["status"] == "100"
    _, _, body = dart_server.get("/api/list.json?" + urlencode({"crtfc_key": KEY, "bgn_de": "20260101",
                                                                "end_de": "20260401"}))
    assert orjson.loads(body)["status"] in ("000", "013")


def test_given_the_corp_code_zip_when_parsed_then_every_listed_stock_resolves(dart_server, world_dir):
    _, headers, body = dart_server.get("/api/corpCode.xml?" + urlencode({"crtfc_key": KEY}))
    corps = parse("opendart-corp-code", Response(body=body, url=dart_server.base + "/api/corpCode.xml", headers=headers))
    world = _world(world_dir)
    assert {(c.corp_code, c.stock_code) for c in corps} == {(c["corp_code"], c["stock_code"]) for c in world["corps"]}


def _list_json(server, begin: str, end: str) -> list:
    records, page = [], 1
    while True:
        _, headers, body = server.get("/api/list.json?" + urlencode(
            {"crtfc_key": KEY, "bgn_de": begin, "end_de": end, "page_no": page, "page_count": 100}))
        found = parse("opendart-list", Response(body=body, url=server.base + "/api/list.json", headers=headers))
        records += found
        data = orjson.loads(body)
        if data["status"] == "013" or page >= data["total_page"]:
            return records
        page += 1


def test_given_late_filings_when_a_past_window_is_asked_again_later_then_it_has_grown(dart_server, world_dir):
    late = sorted((f for f in _world(world_dir)["filings"] if f["visible"] != f["at"]), key=lambda f: f["at"])
    assert late, "the world should have late filings"
    filing = late[len(late) // 2]
    day = filing["at"][:10].replace("-", "")
    post = lambda now: dart_server.get("/__replay/clock", method="POST", data=json.dumps({"now": now}).encode())
    try:
        post(filing["at"][:10] + "T23:59:00")
        before = {r.receipt_no for r in _list_json(dart_server, day, day)}
        post(filing["visible"][:10] + "T23:59:00")
        after = {r.receipt_no for r in _list_json(dart_server, day, day)}
        cookie = _session(dart_server)
        web = {r.receipt_no for r in parse("dart-daily-list", _list_page(dart_server, cookie, day[:4] + "." + day[4:6]
                                                                          + "." + day[6:], 1))}
    finally:
        dart_server.get("/__replay/clock", method="DELETE")
    assert filing["receipt_no"] not in before and filing["receipt_no"] in after
    assert before < after
    assert filing["receipt_no"] in web
