"""Cursor paging, auth-key errors, holidays, the 418, the 410 and the 302 behave as the real sites."""
import json

from tests.replay.conftest import AUTHKEY, BROWSER
from tests.replay.test_structure import first_code

FLAGS = "isHolderOnly=false&excludesItemNews=false&isItemNewsOnly=false&isCleanbotPassedOnly=false"


def test_given_cursor_paging_when_walking_all_pages_then_every_post_once_newest_first(world_server, world_dir):
    code = first_code(world_dir)
    expected = [json.loads(line)["post_id"] for line in (world_dir / "truth/board_post.jsonl").read_text().splitlines()
                if json.loads(line)["code"] == code]
    seen, offset, pages = [], None, 0
    while True:
        path = f"/api/community/discussion/posts/by-item?discussionType=domesticStock&itemCode={code}&{FLAGS}&pageSize=7"
        _, _, body = world_server.get(path + (f"&offset={offset}" if offset else ""))
        page = json.loads(body, strict=False)
        pages += 1
        if not page["posts"]:
            assert page["lastOffset"] is None
            break
        assert page["lastOffset"] == page["posts"][-1]["orderNo"]
        seen += [p["id"] for p in page["posts"]]
        offset = page["lastOffset"]
    assert pages > 2
    assert seen == sorted(expected, key=int, reverse=True)


def test_given_a_missing_flag_when_listing_posts_then_a_small_error_object(world_server):
    status, _, body = world_server.get("/api/community/discussion/posts/by-item?discussionType=domesticStock"
                                       "&itemCode=005930&isHolderOnly=false&isItemNewsOnly=false&pageSize=10")
    assert status == 400
    assert json.loads(body)["fieldErrors"] == {"excludesItemNews": ["Required"]}


def test_given_page_size_over_100_then_an_error_object(world_server):
    status, _, body = world_server.get(
        f"/api/community/discussion/posts/by-item?discussionType=domesticStock&itemCode=005930&{FLAGS}&pageSize=101")
    assert status == 400 and "pageSize" in json.loads(body)["fieldErrors"]


def test_given_a_wrong_auth_key_then_result_3_with_http_200(world_server):
    status, _, body = world_server.get("/site/program/financial/exchangeJSON?authkey=wrong&searchdate=20260930&data=AP01")
    assert status == 200 and [r["result"] for r in json.loads(body)] == [3]


def test_given_a_wrong_data_code_then_result_2(world_server):
    _, _, body = world_server.get(f"/site/program/financial/exchangeJSON?authkey={AUTHKEY}&searchdate=20260930&data=AP02")
    assert [r["result"] for r in json.loads(body)] == [2]


def test_given_a_weekend_or_krx_holiday_then_an_empty_array(world_server):
    for day in ("20260926", "20260925"):  # Saturday; Chuseok holiday (Friday)
        status, _, body = world_server.get(f"/site/program/financial/exchangeJSON?authkey={AUTHKEY}&searchdate={day}&data=AP01")
        assert (status, json.loads(body)) == (200, [])


def test_given_the_daily_limit_is_spent_then_result_4(world_dir):
    from tests.replay.conftest import Served
    served = Served(["--world", str(world_dir), "--fx-daily-limit", "2"])
    try:
        results = [json.loads(served.get(f"/site/program/financial/exchangeJSON?authkey={AUTHKEY}"
                                         f"&searchdate=20260930&data=AP01")[2])[0]["result"] for _ in range(3)]
    finally:
        served.stop()
    assert results == [1, 1, 4]


def test_given_a_bare_request_then_cnn_answers_418_and_a_browser_gets_json(world_server):
    status, _, body = world_server.get("/index/fearandgreed/graphdata")
    assert (status, body) == (418, b"I'm a teapot. You're a bot.")
    status, headers, body = world_server.get("/index/fearandgreed/graphdata/2026-09-01", headers=BROWSER)
    assert status == 200 and json.loads(body)["fear_and_greed_historical"]["data"][0]["x"] == 1788220800000.0


def test_given_legacy_pages_then_410_gone_and_302_to_stock_naver(world_server):
    status, _, body = world_server.get("/item/sise_day.naver?code=005930&page=1")
    assert status == 410 and "이 페이지는 더 이상 제공되지 않습니다" in body.decode("utf-8")
    status, headers, _ = world_server.get("/item/main.naver?code=005930")
    assert status == 302 and headers["location"] == "https://stock.naver.com/domestic/stock/005930"


def test_given_a_wrong_path_then_an_html_page_not_json(world_server):
    status, headers, body = world_server.get("/api/stocks/nothing-here")
    assert status == 404 and headers["content-type"].startswith("text/html") and body.startswith(b"<!DOCTYPE html>")


def test_given_a_replay_server_on_a_port_when_a_second_one_is_started_there_then_it_exits_with_one_line(
        world_server, world_dir):
    import subprocess
    import sys
    for workers in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "shared.cli", "replay", "serve", "--world", str(world_dir),
                               "--port", str(world_server.port), "--workers", workers],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr[-1500:]
        assert done.stderr.strip().splitlines() == [
            f"insertcoin replay: port {world_server.port} on 127.0.0.1 is already in use (another replay server still "
            "running?): stop it or pass another --port"]
    assert world_server.get("/__replay/health")[0] == 200  # the first one still answers, alone
