"""``insertcoin parse`` and the paging facts the crawlers need."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.parsers.cases import case_body, case_body_path
from shared.parsers import (
    PARSERS, ParseError, Response, discussion_next_offset, last_page, market_value_last_page, parse,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(case: str) -> Response:
    folder = FIXTURES / case
    request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    return Response(body=case_body(folder), url=request["url"],
                    headers=request.get("headers", {}))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.cli", "parse", *args],
                          capture_output=True, text=True, timeout=60)


def test_given_list_flag_when_run_then_names_every_parser():
    result = cli("--list")
    assert result.returncode == 0
    names = {line.split("\t")[0] for line in result.stdout.splitlines()}
    assert names == set(PARSERS)
    assert {"naver-chart-day", "cnn-fear-greed-page", "legacy-main", "koreaexim-fx"} <= names


def test_given_good_file_when_run_then_prints_json_lines_with_contract_fields():
    folder = FIXTURES / "naver-chart-day_005930_real"
    result = cli("naver-chart-day", str(case_body_path(folder)), "--url",
                 json.loads((folder / "request.json").read_text())["url"])
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["trade_date"] for row in lines] == ["2026-09-28", "2026-09-29"]
    assert lines[0]["code"] == "005930" and lines[0]["close"] == 270000.0


def test_given_refused_file_when_run_then_exit_1_one_stderr_line_and_no_stdout():
    folder = FIXTURES / "naver-chart-day_truncated_refused"
    result = cli("naver-chart-day", str(folder / "response.json"), "--url",
                 "https://api.stock.naver.com/chart/domestic/item/005930/day")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("insertcoin parse: naver-chart-day: ")


def test_given_charset_header_option_when_run_then_body_decoded_by_it():
    folder = FIXTURES / "nate-ranking_all_20260929_utf8_header"
    url = json.loads((folder / "request.json").read_text())["url"]
    refused = cli("nate-ranking", str(case_body_path(folder)), "--url", url)
    assert refused.returncode == 1 and "wrong encoding" in refused.stderr
    good = cli("nate-ranking", str(case_body_path(folder)), "--url", url,
               "--header", "Content-Type: text/html; charset=utf-8")
    assert good.returncode == 0 and len(good.stdout.splitlines()) == 50


def test_given_unknown_parser_when_parsed_then_parse_error_names_it():
    try:
        parse("no-such-parser", Response(body=b"", url=""))
    except ParseError as err:
        assert err.parser == "no-such-parser" and "unknown parser" in err.reason
    else:
        raise AssertionError("no ParseError")


def test_given_discussion_page_when_asked_then_next_offset_is_last_offset():
    assert discussion_next_offset(fixture("naver-discussion_005930_real")) == "-417878213"


def test_given_empty_discussion_page_when_asked_then_no_next_offset():
    empty = Response(body=b'{"offset":"-1","pageSize":50,"posts":[],"lastOffset":"-1"}', url="https://stock.naver.com/x")
    assert discussion_next_offset(empty) is None


def test_given_market_value_page_when_asked_then_last_page_from_total_count():
    assert market_value_last_page(fixture("naver-market-value_KOSPI_p1_real")) == 3  # 17 rows, 6 per page


def test_given_legacy_page_when_asked_then_last_page_from_pgRR():
    assert last_page(fixture("legacy-sise-day_005930_p1_real_cp949")) == 698
    assert last_page(fixture("legacy-board_005930_p1_crawler-shape")) == 39024
