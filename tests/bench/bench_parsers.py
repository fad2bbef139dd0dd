"""Pages per second of each parser on the recorded responses, beside a minimal hand-written
lxml/json extraction of the same fields (no validation, no refusal checks) in the same run.

    .venv/bin/python tests/bench/bench_parsers.py [--seconds 0.3] [--rounds 5] [--only naver-finance]

Prints a Markdown table; ratio = parser pages/s / baseline pages/s (goal >= 0.8). The baselines
decode JSON with the standard library's ``json`` (the issue's "lxml/json"); ``--baseline-json
orjson`` gives them the parsers' own decoder instead, to show how much of a JSON parser's ratio is
the faster decoder.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import orjson
from lxml import html

from shared.parsers import Response, parse
from shared.parsers.naver_stock import FINANCE_ROWS  # the title -> (metric, unit) table, data only

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.parsers.cases import case_body  # noqa: E402

#: the baselines' JSON decoder (``--baseline-json``)
loads = json.loads

FIXTURES = Path(__file__).resolve().parents[1] / "parsers" / "fixtures"


def num(text: str) -> float | None:
    text = text.replace(",", "").strip().rstrip("배원%")
    return None if text in ("", "-") else float(text)


def base_chart(body: bytes, url: str):
    code = url.split("/item/")[1].split("/")[0]
    return [dict(code=code, trade_date=dt.datetime.strptime(r["localDate"], "%Y%m%d").date(), open=r["openPrice"],
                 high=r["highPrice"], low=r["lowPrice"], close=r["closePrice"], volume=r["accumulatedTradingVolume"],
                 foreign_ratio=r.get("foreignRetentionRate")) for r in loads(body)]


def base_discussion(body: bytes, url: str):
    return [dict(code=p["itemCode"], post_id=p["id"], posted_at=dt.datetime.fromisoformat(p["writtenAt"]), title=p["title"],
                 body=p["contentSwReplacedButImg"], author=p["writer"]["nickname"], likes=p["recommendCount"],
                 dislikes=p["notRecommendCount"], comment_count=p["commentCount"], hidden=not p["isCleanbotPassed"],
                 reply_depth=p["replyDepth"]) for p in loads(body)["posts"]]


def base_market_value(body: bytes, url: str):
    market = url.split("/marketValue/")[1].split("?")[0]
    return [dict(code=s["itemCode"], name=s["stockName"], market=market, security_type=s["stockEndType"],
                 market_cap=int(s["marketValueRaw"])) for s in loads(body)["stocks"]]


def base_integration(body: bytes, url: str):
    data = loads(body)
    values = {i["code"]: num(i["value"]) for i in data["totalInfos"] if i["code"] in ("per", "eps", "pbr", "bps", "dividendYieldRatio", "foreignRate")}
    return [dict(code=data["itemCode"], sector_code=data["industryCode"]), dict(as_of=data["dealTrendInfos"][0]["bizdate"], **values)]


def base_finance(body: bytes, url: str):
    code, period_type = url.split("/stock/")[1].split("?")[0].split("/finance/")
    info = loads(body)["financeInfo"]
    periods = [(t["key"], t["key"][:4] + "-" + t["key"][4:], t["isConsensus"] == "Y") for t in info["trTitleList"]]
    return [(code, period, period_type, estimate, metric_unit[0], num(row["columns"][key]["value"]), metric_unit[1])
            for row in info["rowList"] if (metric_unit := FINANCE_ROWS.get(row["title"]))
            for key, period, estimate in periods]


def base_industry(body: bytes, url: str):
    data = loads(body)
    group = data["groupInfo"]
    number = str(group["no"])
    return [(number, group["name"])] + [(str(s["itemCode"]), number) for s in data["stocks"]]


def base_sise_day(body: bytes, url: str):
    tree = html.fromstring(body.decode("cp949"))
    out = []
    for tr in tree.xpath('//table[@class="type2"]//tr[@onmouseover]'):
        c = [td.text_content().strip() for td in tr.findall("td")]
        sign = -1 if tr.xpath('.//em[contains(@class,"bu_pdn")]') else 1
        out.append(dict(date=dt.datetime.strptime(c[0], "%Y.%m.%d").date(), close=num(c[1]), change=sign * num(c[2].split()[-1]),
                        open=num(c[3]), high=num(c[4]), low=num(c[5]), volume=int(num(c[6]))))
    return out


def base_board(body: bytes, url: str):
    tree = html.fromstring(body.decode("utf-8"))
    out = []
    for tr in tree.xpath('//table[@class="type2"]//tr[@onmouseover]'):
        c = tr.findall("td")
        a = c[1].xpath(".//a")
        out.append(dict(at=dt.datetime.strptime(c[0].text_content().strip(), "%Y.%m.%d %H:%M"),
                        nid=re.search(r"nid=(\d+)", a[0].get("href")).group(1) if a else None,
                        title=a[0].get("title") if a else c[1].text_content().strip(), author=c[2].text_content().strip(),
                        views=int(num(c[3].text_content())), up=int(num(c[4].text_content())), down=int(num(c[5].text_content()))))
    return out


def base_main(body: bytes, url: str):
    tree = html.fromstring(body.decode("utf-8"))
    table = tree.xpath('//div[contains(@class,"cop_analysis")]//table')[0]
    heads = [th.text_content().strip()[:7] for th in table.xpath("./thead/tr[2]/th")]
    return [(tr.xpath("./th/@class")[0], h, num(td.text_content().replace("\xa0", "")))
            for tr in table.xpath("./tbody/tr") for h, td in zip(heads, tr.findall("td"))]


def base_sise_group(body: bytes, url: str):
    tree = html.fromstring(body.decode("utf-8"))
    return [(re.search(r"no=(\d+)", a.get("href")).group(1), a.text_content().strip()) for a in tree.xpath('//table//a[contains(@href,"sise_group_detail")]')]


def base_kind(body: bytes, url: str):
    tree = html.fromstring(body.decode("cp949"))
    markets = {"유가": "KOSPI", "코스닥": "KOSDAQ", "코넥스": "KONEX"}
    out = []
    for tr in tree.xpath("//table//tr")[1:]:
        c = [td.text_content().strip() for td in tr.findall("td")]
        out.append(dict(name=c[0], market=markets[c[1]], code=c[2], sector=c[3],
                        listed=dt.datetime.strptime(c[5], "%Y-%m-%d").date(), month=int(c[6].rstrip("월"))))
    return out


def base_nate(body: bytes, url: str):
    tree = html.fromstring(body.decode("cp949"))
    out = []
    for node in tree.xpath('//div[contains(@class,"mduSubjectList")]') + tree.xpath('//*[@id="postRankSubject"]//li'):
        a = node.xpath(".//a[@href]")[0]
        out.append(dict(rank=int(node.xpath(".//dt")[0].text_content()), title=node.xpath(".//h2")[0].text_content().strip(),
                        url="https:" + a.get("href"), article_id=a.get("href").split("?")[0].rsplit("/", 1)[-1],
                        press=(node.xpath('.//span[contains(@class,"medium")]')[0].text or "").strip()))
    return out


def base_cnn(body: bytes, url: str):
    data = loads(body)
    days = {}
    for p in data["fear_and_greed_historical"]["data"]:
        days[dt.datetime.fromtimestamp(p["x"] / 1000, dt.timezone.utc).date()] = (p["y"], p["rating"])
    return days


def base_cnn_page(body: bytes, url: str):
    tree = html.fromstring(body.decode("utf-8"))
    return (float(tree.xpath('//span[contains(@class,"dial-number-value")]')[0].text_content()),
            tree.xpath('//div[contains(@class,"gauge__meter")]/@data-index-label')[0],
            int(tree.xpath('//div[contains(@class,"gauge__timestamp")]/@data-timestamp')[0]))


def base_fx(body: bytes, url: str):
    date = dt.datetime.strptime(re.search(r"searchdate=(\d{8})", url).group(1), "%Y%m%d").date()
    return [dict(date=date, cur=r["cur_unit"][:3], unit=100 if "(100)" in r["cur_unit"] else 1, base=num(r["deal_bas_r"]),
                 ttb=num(r["ttb"]), tts=num(r["tts"]), name=r["cur_nm"]) for r in loads(body)]


#: (fixture case, baseline, what the bytes are)
CASES = [
    ("naver-chart-day_005930_real", base_chart, "real"),
    ("naver-discussion_005930_real", base_discussion, "real"),
    ("naver-market-value_KOSPI_p1_real", base_market_value, "real"),
    ("naver-integration_005930_real", base_integration, "real"),
    ("naver-finance_005930_annual_doc-shape", base_finance, "hand-written"),
    ("naver-industry_278_doc-shape", base_industry, "hand-written"),
    ("legacy-sise-day_005930_p1_real_cp949", base_sise_day, "real"),
    ("legacy-board_005930_p1_crawler-shape", base_board, "hand-written"),
    ("legacy-main_005930_mojibake_real", base_main, "real"),
    ("legacy-sise-group_upjong_list_real", base_sise_group, "real"),
    ("kind-corp-list_2026-04_real", base_kind, "real"),
    ("nate-ranking_all_20260929_euckr", base_nate, "real (re-encoded)"),
    ("cnn-fear-greed_2024-02-09_real", base_cnn, "real"),
    ("cnn-fear-greed_from-2020-07-15_real", base_cnn, "real"),
    ("cnn-fear-greed-page_2024-02-09", base_cnn_page, "hand-written"),
    ("koreaexim-fx_20230711_real", base_fx, "real"),
]


def timed(function, seconds: float) -> float:
    """Calls per CPU second of this process over one run of about ``seconds`` of CPU time.

    CPU time, not wall time: on the shared 2-core machine other jobs preempt this process, and
    wall time would charge their slices to whichever side happened to be running."""
    count, start = 0, time.process_time()
    while True:
        function()
        count += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return count / elapsed


def rates(ours, theirs, seconds: float, rounds: int = 5) -> tuple[float, float]:
    """Best calls/s of each side over ``rounds`` interleaved runs (interleaving keeps drift in
    machine load or clock speed from favouring one side)."""
    ours(), theirs()
    best_ours = best_theirs = 0.0
    for _ in range(rounds):
        best_ours = max(best_ours, timed(ours, seconds))
        best_theirs = max(best_theirs, timed(theirs, seconds))
    return best_ours, best_theirs


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=0.3, help="length of one timed run")
    options.add_argument("--rounds", type=int, default=5, help="interleaved timed runs per side (best counts)")
    options.add_argument("--only", default="", help="run only the cases whose name contains this text")
    options.add_argument("--baseline-json", choices=("json", "orjson"), default="json",
                         help="the baselines' JSON decoder (default: the standard library's)")
    args = options.parse_args()
    global loads
    loads = orjson.loads if args.baseline_json == "orjson" else json.loads
    print("| parser | fixture (bytes) | records | parser pages/s | baseline pages/s | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for case, baseline, kind in CASES:
        if args.only not in case:
            continue
        folder = FIXTURES / case
        request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
        body = case_body(folder)
        response = Response(body=body, url=request["url"], headers=request.get("headers", {}))
        records = parse(request["parser"], response)
        ours, theirs = rates(lambda: parse(request["parser"], response),
                             lambda: baseline(body, request["url"]), args.seconds, args.rounds)
        print(f"| {request['parser']} | {case} ({kind}, {len(body):,}) | {len(records)} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
