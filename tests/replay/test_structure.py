"""Simulated responses have the real samples' structure: JSON keys and value types, HTML
selectors and encodings (compared programmatically with the real captures in services/replay/recordings/bodies)."""
import json

import lxml.html

from tests.replay.conftest import AUTHKEY, BROWSER, BODIES


def shape(value):
    """Keys and value types at every level (lists: the shape of the first element)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def first_code(world_dir, kind="stock"):
    listing = json.loads((world_dir / "listing.json").read_text())
    return next(s["code"] for s in listing if s["security_type"] == kind and s["market"] == "KOSPI")


def real(path):
    return json.loads((BODIES / path).read_text(encoding="utf-8"))


def test_chart_rows_have_the_real_keys_and_types(world_server, world_dir):
    code = first_code(world_dir)
    _, headers, body = world_server.get(f"/chart/domestic/item/{code}/day?startDateTime=202609010000&endDateTime=202609300000")
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert shape(json.loads(body)) == shape(real("chart-day_005930_20260925-20260929.json"))


def test_discussion_page_has_the_real_keys_and_types(world_server, world_dir):
    code = first_code(world_dir)
    _, _, body = world_server.get(
        "/api/community/discussion/posts/by-item?discussionType=domesticStock&itemCode=" + code +
        "&isHolderOnly=false&excludesItemNews=false&isItemNewsOnly=false&isCleanbotPassedOnly=false&pageSize=50")
    ours, theirs = json.loads(body, strict=False), real("discussion-posts-by-item_005930.json")
    assert set(ours) == set(theirs)
    post_real = shape(theirs["posts"][0])
    post_ours = shape(ours["posts"][0])
    # imageUrl / parentId are null in some real posts and strings in others
    for key in ("parentId", "reactionId", "topImageUrl"):
        post_real.pop(key), post_ours.pop(key)
    post_real["writer"].pop("imageUrl"), post_ours["writer"].pop("imageUrl")
    assert post_ours.keys() == post_real.keys()
    assert {k: v for k, v in post_ours.items() if k != "contentJsonSwReplaced"} == \
        {k: v for k, v in post_real.items() if k != "contentJsonSwReplaced"}


def test_market_value_has_the_real_keys_and_types(world_server):
    _, _, body = world_server.get("/api/stocks/marketValue/KOSPI?page=1&pageSize=6")
    assert shape(json.loads(body)) == shape(real("marketValue_KOSPI_p1_trimmed.json"))


def test_integration_fields_are_a_subset_of_the_real_ones_with_display_strings(world_server, world_dir):
    code = first_code(world_dir)
    _, _, body = world_server.get(f"/api/stock/{code}/integration")
    ours, theirs = json.loads(body), real("stock-integration_005930.json")
    assert set(ours) <= set(theirs)
    real_infos = {i["code"]: i for i in theirs["totalInfos"]}
    for info in ours["totalInfos"]:
        assert info["code"] in real_infos
        assert info["key"] == real_infos[info["code"]]["key"]
        assert isinstance(info["value"], str)
    real_trend = theirs["dealTrendInfos"][0]
    assert all(k in real_trend and isinstance(v, str) for k, v in ours["dealTrendInfos"][0].items())


def test_graphdata_has_the_real_keys_and_types(world_server):
    _, _, body = world_server.get("/index/fearandgreed/graphdata", headers=BROWSER)
    ours, theirs = json.loads(body), real("cnn-fng-graphdata-2024-02-09.json")
    assert shape(ours) == shape(theirs)


def test_exchange_rows_have_the_real_keys_types_and_currency_set(world_server):
    _, _, body = world_server.get(f"/site/program/financial/exchangeJSON?authkey={AUTHKEY}&searchdate=20260930&data=AP01")
    ours, theirs = json.loads(body), real("exchangeJSON-20230711.json")
    assert shape(ours) == shape(theirs)
    assert [r["cur_unit"] for r in ours] == [r["cur_unit"] for r in theirs]
    krw = next(r for r in ours if r["cur_unit"] == "KRW")
    assert (krw["ttb"], krw["tts"], krw["deal_bas_r"]) == ("0", "0", "1")


NATE_SELECTORS = ["div.postRankSubjectList div.mduSubjectList dl.mduRank dt em",
                  "div.postRankSubjectList div.mduSubjectList div.mlt01 > a h2.tit",
                  "div.postRankSubjectList div.mduSubjectList span.medium em",
                  "#postRankSubject ul.mduSubject li a > h2", "#postRankSubject ul.mduSubject li span.medium",
                  "div.rank_page a"]


def test_nate_page_is_euc_kr_with_the_real_selectors_and_counts(world_server):
    _, headers, body = world_server.get("/rank/interest?sc=all&p=day&date=20260929")
    assert headers["content-type"].lower().endswith("charset=euc-kr")
    ours = lxml.html.fromstring(body.decode("euc-kr"))
    theirs = lxml.html.fromstring((BODIES / "nate-rank-interest-all-20260929.EXCERPT.html").read_text("utf-8"))
    for selector in NATE_SELECTORS:
        assert len(ours.cssselect(selector)) == len(theirs.cssselect(selector)), selector
    hrefs = [a.get("href") for a in ours.cssselect("#postRankSubject ul.mduSubject li a")]
    assert all(h.startswith("//news.nate.com/view/") for h in hrefs)


def test_kind_download_is_euc_kr_with_the_real_header_and_cells(world_server):
    _, _, body = world_server.get("/corpgeneral/corpList.do?method=download")
    ours = lxml.html.fromstring(body.decode("euc-kr"))
    theirs = lxml.html.fromstring((BODIES / "corpList-download-2026-04.xls").read_bytes().decode("euc-kr"))
    assert [th.text_content() for th in ours.cssselect("tr th")] == [th.text_content() for th in theirs.cssselect("tr th")]
    row_ours, row_theirs = ours.cssselect("tr")[1], theirs.cssselect("tr")[1]
    assert len(row_ours.cssselect("td")) == len(row_theirs.cssselect("td"))
    assert row_ours.cssselect("td")[2].get("style") == row_theirs.cssselect("td")[2].get("style")
    assert body.startswith(b"\n\n\n")
