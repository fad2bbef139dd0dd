"""The read API against a real server process and a real scored PostgreSQL: what each endpoint
returns, its paging, CSV, keys, rate limit and problem+json errors."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import time
import uuid

import httpx
import psycopg2
import pytest

from ml.features import MARKET_MEDIA, STOCK_MEDIA
from ml.significance import holm
from services.api.queries import MOVER_COLUMNS
from tests.api.conftest import API_KEY, ROOT, start_server, stop_server

pytestmark = pytest.mark.integration
KEY = {"X-API-Key": API_KEY}


def _sql(url, sql, params=()):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def get(api, path, **kw):
    headers = {**KEY, **kw.pop("headers", {})}
    return httpx.get(f"{api}{path}", headers=headers, timeout=30, **kw)


def test_given_no_or_a_wrong_key_when_calling_the_api_then_401_as_problem_json(api):
    for headers in ({}, {"X-API-Key": "not-a-key"}):
        response = httpx.get(f"{api}/api/movers", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401 and "X-API-Key" in response.json()["detail"]


def test_given_a_scored_world_when_listing_movers_without_a_date_then_the_latest_days_lists_with_media(
        api, scored):
    urls, days = scored
    body = get(api, "/api/movers", params={"list": "abs"}).json()
    assert [r["rank"] for r in body["items"]] == list(range(1, 11))
    assert {r["trade_date"] for r in body["items"]} == {days[-1].isoformat()}
    expected = _sql(urls["admin"], "SELECT code, board_predictive, news_explanatory FROM if_top_mover "
                                   "WHERE trade_date = %s AND list = 'abs' ORDER BY rank", (days[-1],))
    assert [(r["code"], r["board_predictive"], r["news_explanatory"]) for r in body["items"]] == \
        [(c, pytest.approx(b), pytest.approx(n)) for c, b, n in expected]
    listed = {c for (c,) in _sql(urls["admin"], "SELECT code FROM m_stock")}
    assert all(r["name"] for r in body["items"] if r["code"] in listed)   # Korean names joined in
    assert body["next_cursor"] is None


def test_given_a_range_when_following_cursors_then_every_row_comes_once_in_order(api, scored):
    urls, _ = scored
    params = {"from": "2025-03-01", "to": "2025-04-30", "limit": 37}
    seen, cursor, pages = [], None, 0
    while True:
        body = get(api, "/api/movers", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(r["trade_date"], r["list"], r["rank"]) for r in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    total = _sql(urls["admin"], "SELECT count(*) FROM if_top_mover WHERE trade_date BETWEEN "
                                "'2025-03-01' AND '2025-04-30'")[0][0]
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    assert pages == -(-total // 37)


def test_given_accept_text_csv_when_listing_movers_then_csv_with_the_json_columns_and_rows(api, scored):
    _, days = scored
    response = get(api, "/api/movers", params={"date": days[-1].isoformat()},
                   headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == MOVER_COLUMNS
    as_json = get(api, "/api/movers", params={"date": days[-1].isoformat()}).json()["items"]
    assert [r[3] for r in rows[1:]] == [r["code"] for r in as_json]
    assert len(rows) - 1 == len(as_json) > 10                       # abs, up and down lists


def test_given_influence_when_listing_then_p_adjusted_is_holm_over_the_periods_media_and_clocks(api, scored):
    items = get(api, "/api/influence", params={"period_type": "year"}).json()["items"]
    assert len(items) == 2 * (len(STOCK_MEDIA) + len(MARKET_MEDIA))  # every medium x 2 clocks, one year
    assert [r["p_adjusted"] for r in items] == pytest.approx(holm([r["p_value"] for r in items]))
    for r in items:
        assert r["ci_low"] <= r["influence"] <= r["ci_high"] or r["scope"] == "market"
    significant = {(r["medium"], r["clock"]) for r in items if r["significant"]}
    assert significant == {("board", "predictive")}                 # the planted effect, and only it
    months = get(api, "/api/influence", params={"period_type": "month", "from": "2025-03",
                                                "to": "2025-04", "medium": "board"}).json()["items"]
    assert {r["period"] for r in months} == {"2025-03", "2025-04"} and {r["medium"] for r in months} == {"board"}


def test_given_a_stock_when_reading_its_timeline_then_prices_posts_news_and_mover_days_match_the_tables(
        api, scored):
    urls, days = scored
    code = _sql(urls["admin"], "SELECT code FROM if_top_mover WHERE trade_date = %s AND list = 'abs' "
                               "AND rank = 1", (days[-1],))[0][0]
    body = get(api, f"/api/stocks/{code}/timeline", params={"from": "2025-04-01", "to": "2025-04-30"}).json()
    prices = _sql(urls["admin"], "SELECT count(*) FROM if_stock_daily_price WHERE code = %s AND trade_date "
                                 "BETWEEN '2025-04-01' AND '2025-04-30'", (code,))[0][0]
    assert len(body["prices"]) == prices > 15
    posts = _sql(urls["admin"], "SELECT count(*) FROM if_board_post WHERE code = %s AND posted_at >= "
                                "'2025-04-01 00:00+09' AND posted_at < '2025-04-30 15:00+00'", (code,))[0][0]
    assert sum(p["posts"] for p in body["posts_per_hour"]) == posts > 0
    assert days[-1].isoformat() in {m["trade_date"] for m in body["movers"]}
    assert all(body["name"] in n["title"] for n in body["news"])
    changes = _sql(urls["admin"], "SELECT count(*) FROM if_financial_statement_change WHERE code = %s AND "
                                  "changed_at >= '2025-04-01 00:00+09' AND changed_at < '2025-04-30 15:00+00'",
                   (code,))[0][0]
    assert len(body["financial"]) == changes
    daily = get(api, f"/api/stocks/{code}/timeline", params={"from": "2025-04-01", "to": "2025-04-30"},
                headers={"Accept": "text/csv"}).text
    assert len(daily.strip().splitlines()) == prices + 1


def test_given_watchlists_when_reading_them_then_the_latest_list_and_scored_track_record(api, scored):
    urls, days = scored
    body = get(api, "/api/watchlist").json()
    assert body["trade_date"] == days[-1].isoformat()
    assert [r["rank"] for r in body["items"]] == [1, 2, 3, 4, 5]
    assert all(r["among_movers"] is None for r in body["items"])    # the morning's list: not scored yet
    assert all(r["reasons"][0]["detail"] for r in body["items"])
    scored_day = get(api, "/api/watchlist", params={"date": days[0].isoformat()}).json()["items"]
    movers = {c for (c,) in _sql(urls["admin"], "SELECT code FROM if_top_mover WHERE trade_date = %s "
                                                "AND list = 'abs'", (days[0],))}
    assert [r["among_movers"] for r in scored_day] == [r["code"] in movers for r in scored_day]
    track = get(api, "/api/watchlist/scores").json()
    assert [r["trade_date"] for r in track["items"]] == [d.isoformat() for d in days[:-1]]
    assert track["summary"]["lists"] == len(days) - 1
    assert track["summary"]["mean_precision"] > track["summary"]["mean_base_rate"]


@pytest.mark.parametrize("path, status", [
    ("/api/movers?date=2025-13-01", 422), ("/api/movers?cursor=bm9wZQ", 400),
    ("/api/movers?from=2025-04-30&to=2025-04-01", 400), ("/api/stocks/000000/timeline", 404),
    ("/api/stocks/abc/timeline", 422), ("/api/nowhere", 404), ("/stocks/000000", 404),
    ("/api/stocks/005930/timeline?from=2020-01-01&to=2025-01-01", 400)])
def test_given_a_bad_request_when_calling_then_a_problem_json_names_the_error(api, path, status):
    response = get(api, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]


def _within_one_minute(run):
    """``run()``'s result from a run that stayed inside one clock minute (the limit's window)."""
    for _attempt in range(3):
        minute = int(time.time() // 60)
        result = run()
        if int(time.time() // 60) == minute:
            return result
        time.sleep(61 - time.time() % 60)   # the next run starts in a fresh window
    raise AssertionError("three runs crossed a minute boundary")


def test_given_a_rate_limit_when_a_key_exceeds_it_then_429_with_retry_after_and_other_keys_still_pass(scored):
    key, other_key = f"rate-{uuid.uuid4().hex}", f"rate-{uuid.uuid4().hex}"
    proc, base = start_server(scored[0]["analyst"], API_RATE_LIMIT="5", API_KEYS=f"{key},{other_key}")

    def run():
        codes = [httpx.get(f"{base}/api/stocks", headers={"X-API-Key": key}).status_code for _ in range(7)]
        return codes, httpx.get(f"{base}/api/stocks", headers={"X-API-Key": key}), \
            httpx.get(f"{base}/api/stocks", headers={"X-API-Key": other_key})
    try:
        codes, limited, other = _within_one_minute(run)
    finally:
        stop_server(proc)
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    assert other.status_code == 200


@pytest.mark.parametrize("limit, lease", [(6, 1), (150, 3)])
def test_given_two_server_processes_when_one_key_calls_both_then_together_they_allow_the_limit_not_twice_it(
        scored, limit, lease):
    """Each process leases ``lease`` requests at a time (a fiftieth of the limit): the two allow at
    most the limit, and at least the limit less what each may hold unused."""
    key = f"rate-{uuid.uuid4().hex}"
    servers = [start_server(scored[0]["analyst"], API_RATE_LIMIT=str(limit), API_KEYS=key) for _ in range(2)]

    def run():
        with httpx.Client() as client:
            return [client.get(f"{servers[i % 2][1]}/api/stocks", params={"limit": 1},
                               headers={"X-API-Key": key}).status_code for i in range(2 * limit)]
    try:
        codes = _within_one_minute(run)
    finally:
        for proc, _base in servers:
            stop_server(proc)
    allowed = codes.count(200)
    assert limit - 2 * (lease - 1) <= allowed <= limit and codes.count(429) == 2 * limit - allowed
    assert codes[:limit - 2 * (lease - 1)] == [200] * (limit - 2 * (lease - 1))


def test_given_the_rate_table_when_the_analyst_role_reads_or_writes_it_then_refused_and_keys_are_stored_hashed(scored):
    key = f"rate-{uuid.uuid4().hex}"
    proc, base = start_server(scored[0]["analyst"], API_KEYS=key)
    try:
        assert httpx.get(f"{base}/api/stocks", headers={"X-API-Key": key}).status_code == 200
    finally:
        stop_server(proc)
    with psycopg2.connect(scored[0]["analyst"]) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT * FROM api_rate_window")
    with psycopg2.connect(scored[0]["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT key_sha256 FROM api_rate_window")
        stored = {r[0] for r in cur.fetchall()}
    assert hashlib.sha256(key.encode()).hexdigest() in stored and key not in stored


def test_given_no_auth_and_two_workers_when_serving_then_the_api_answers_without_a_key(scored):
    proc, base = start_server(scored[0]["analyst"], "--no-auth", "--workers", "2", "--pool", "2")
    try:
        assert httpx.get(f"{base}/api/movers").status_code == 200
        assert httpx.get(f"{base}/dashboard").status_code == 200
    finally:
        stop_server(proc)


def test_given_no_api_keys_when_serving_then_it_refuses_to_start_and_says_why(scored):
    env = {k: v for k, v in os.environ.items() if k != "API_KEYS"}
    env["ANALYST_DATABASE_URL"] = scored[0]["analyst"]
    result = subprocess.run([sys.executable, "-m", "shared.cli", "serve", "--port", "1"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "API_KEYS is not set" in result.stdout + result.stderr


@pytest.mark.parametrize("path, text", [
    ("/?period=2025-13", "No influence scores for 2025-13 yet"),
    ("/?date=1990-01-01", "No top movers scored for this day."),
    ("/dashboard?period=2025-03", "The answer for 2025-03"),
    ("/watchlist?date=2100-12-31", "No watchlist yet")])
def test_given_dashboard_parameters_without_data_when_opening_then_the_page_says_so(api, path, text):
    response = httpx.get(f"{api}{path}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert text in response.text
