"""``insertcoin watchlist`` on a scored world in a real PostgreSQL: the list uses only media
stamped before the open, goes to Telegram and a webhook (local stand-ins speaking their
protocols), and is scored against the day's movers the next evening."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys

import psycopg2
import pytest

from ml.dataset import STOCK_CODE
from tests.api.conftest import ROOT
from tests.watchlist.receivers import Receiver, TelegramBotApi, Webhook

pytestmark = pytest.mark.integration
TOKEN = "123456:stand-in-token-not-a-secret"


@pytest.fixture
def telegram():
    receiver = Receiver(TelegramBotApi)
    receiver.token = TOKEN
    yield receiver
    receiver.close()


@pytest.fixture
def webhook():
    receiver = Receiver(Webhook)
    yield receiver
    receiver.close()


def _sql(url, sql, params=()):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _watchlist(urls, *args, refresh: bool = False, **env) -> subprocess.CompletedProcess:
    """``insertcoin watchlist``; without its last crawl pass unless ``refresh`` (tests/crawl has the
    pass against the replay site)."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "WATCHLIST_"))}
    environ.update(ML_DATABASE_URL=urls["ml"], **env)
    command = [sys.executable, "-m", "shared.cli", "watchlist", *args, *([] if refresh else ["--no-refresh"])]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)


def test_given_a_day_when_making_the_watchlist_then_telegram_and_the_webhook_get_the_stored_list(
        scored, telegram, webhook):
    urls, days = scored
    day = days[-1]
    result = _watchlist(urls, "--date", day.isoformat(), "--top", "5",
                        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_CHAT_ID="424242",
                        TELEGRAM_API_URL=f"{telegram.url}/bot", WATCHLIST_WEBHOOK_URL=f"{webhook.url}/hook")
    assert result.returncode == 0, result.stderr[-3000:]
    stored = _sql(urls["admin"], "SELECT w.code, s.name FROM if_watchlist w JOIN m_stock s USING (code) "
                                 "WHERE trade_date = %s ORDER BY rank", (day,))
    assert len(stored) == 5
    sent = [r for r in telegram.requests if r["method"] == "sendMessage"]
    assert len(sent) == 1 and sent[0]["params"]["chat_id"] == "424242"
    text = sent[0]["params"]["text"]
    for position, (code, name) in enumerate(stored, start=1):
        assert f"{position}. {name} ({code})" in text                # Korean names, in rank order
    assert "board posts overnight" in text
    (hook,) = webhook.requests
    assert hook["path"] == "/hook" and hook["content_type"] == "application/json"
    assert hook["body"]["trade_date"] == day.isoformat()
    assert [s["code"] for s in hook["body"]["stocks"]] == [c for c, _ in stored]
    assert TOKEN not in result.stdout + result.stderr


def test_given_receivers_that_fail_when_making_the_watchlist_then_the_list_is_stored_and_the_run_fails_saying_why(
        scored, telegram, webhook):
    urls, days = scored
    webhook.status = 500
    secret_hook = f"{webhook.url}/hook?token=webhook-secret"
    result = _watchlist(urls, "--date", days[-2].isoformat(), "--top", "3",
                        TELEGRAM_BOT_TOKEN="999:wrong-token", TELEGRAM_CHAT_ID="1",
                        TELEGRAM_API_URL=f"{telegram.url}/bot", WATCHLIST_WEBHOOK_URL=secret_hook)
    assert result.returncode == 1
    logs = result.stdout + result.stderr
    assert "telegram: InvalidToken: The token `***` was rejected by the server." in logs
    assert "webhook: the receiver answered HTTP 500" in logs
    assert "webhook-secret" not in logs and "wrong-token" not in logs
    assert _sql(urls["admin"], "SELECT count(*) FROM if_watchlist WHERE trade_date = %s", (days[-2],)) == [(3,)]
    _restore(urls, days[-2])


def _restore(urls, day) -> None:
    """Put back the fixture's list of ``day`` (top 5, scored) for the tests that read it."""
    from services.watchlist.cli import make
    from services.watchlist.store import score_watchlist

    make(urls["ml"], day, top=5, window=250)
    conn = psycopg2.connect(urls["ml"])
    try:
        score_watchlist(conn, day)
    finally:
        conn.close()


def test_given_posts_after_the_open_when_ranking_then_the_list_does_not_change(scored):
    """Only media stamped before D's 09:00 KST open may count: a burst of posts at 09:00 on a
    stock off the list must leave the list as it was."""
    from services.watchlist.cli import make

    urls, days = scored
    day = days[-3]
    before, _ = make(urls["ml"], day, top=5, window=250)
    outsider = _sql(urls["admin"], "SELECT code FROM m_stock WHERE code <> ALL (%s) ORDER BY code LIMIT 1",
                    (list(before.rows["code"]),))[0][0]
    at_open = dt.datetime.combine(day, dt.time(0, 0), dt.timezone.utc)            # 09:00 KST
    rows = [(outsider, f"late-{i}", at_open + dt.timedelta(minutes=i)) for i in range(300)]
    with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
        for code, post_id, at in rows:
            cur.execute("INSERT INTO if_board_post (code, post_id, posted_at, title, author, hidden, "
                        "reply_depth, source, run_id, extracted_at) VALUES (%s, %s, %s, 't', 'a', false, 0, "
                        "'test', 'late', now())", (code, post_id, at))
    try:
        after, _ = make(urls["ml"], day, top=5, window=250)
        assert list(after.rows["code"]) == list(before.rows["code"])
        assert after.rows["probability"].tolist() == pytest.approx(before.rows["probability"].tolist())
        # the same burst a minute before the open does move the outsider up the list
        with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
            cur.execute("UPDATE if_board_post SET posted_at = posted_at - interval '301 minutes' "
                        "WHERE run_id = 'late'")
        earlier, _ = make(urls["ml"], day, top=5, window=250)
        assert outsider in set(earlier.rows["code"])
    finally:
        with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM if_board_post WHERE run_id = 'late'")
        make(urls["ml"], day, top=5, window=250)


def test_given_the_evening_when_scoring_the_days_list_then_precision_counts_the_listed_movers(scored):
    urls, days = scored
    day = days[-1]
    result = _watchlist(urls, "--score", "--date", day.isoformat())
    assert result.returncode == 0, result.stderr[-3000:]
    listed = [c for (c,) in _sql(urls["admin"], "SELECT code FROM if_watchlist WHERE trade_date = %s", (day,))]
    movers = {c for (c,) in _sql(urls["admin"], "SELECT code FROM if_top_mover WHERE trade_date = %s "
                                                "AND list = 'abs'", (day,))}
    n_valid = _sql(urls["admin"], "SELECT count(*) FROM if_stock_daily_price WHERE trade_date = %s "
                                  "AND NOT halted AND open > 0 AND close > 0 AND code ~ %s",
                   (day, STOCK_CODE))[0][0]  # stocks only: no index among them
    (row,) = _sql(urls["admin"], "SELECT n, hits, precision, base_rate, hit_codes FROM if_watchlist_score "
                                 "WHERE trade_date = %s", (day,))
    hits = [c for c in listed if c in movers]
    assert row == (len(listed), len(hits), pytest.approx(len(hits) / len(listed)),
                   pytest.approx(10 / n_valid), sorted(hits, key=listed.index))
    assert f"{len(hits)}/{len(listed)} of the list" in result.stdout
    _sql(urls["admin"], "DELETE FROM if_watchlist_score WHERE trade_date = %s", (day,))  # as the fixture left it


def test_given_no_movers_yet_when_scoring_then_it_fails_and_says_to_score_first(scored):
    urls, days = scored
    later = days[-1] + dt.timedelta(days=1)
    with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO if_watchlist SELECT %s, rank, code, score, probability, reasons, n_ranked, "
                    "model, data_until FROM if_watchlist WHERE trade_date = %s", (later, days[-1]))
    try:
        result = _watchlist(urls, "--score", "--date", later.isoformat())
        assert result.returncode == 1
        assert f"no top movers for {later} yet" in result.stdout + result.stderr
    finally:
        _sql(urls["admin"], "DELETE FROM if_watchlist WHERE trade_date = %s", (later,))


def test_given_a_list_when_formatting_the_message_and_payload_then_every_stock_and_reason_is_there():
    import pandas as pd

    from services.watchlist.notify import message_text, payload
    from services.watchlist.rank import Watchlist

    rows = pd.DataFrame([{"rank": 1, "code": "005930", "name": "삼성전자", "score": 1.2, "probability": 0.41,
                          "reasons": [{"medium": "news", "contribution": -0.1, "detail": "n"},
                                      {"medium": "board", "contribution": 0.8, "detail": "12 board posts"}]}])
    watchlist = Watchlist(dt.date(2026, 12, 4), rows, 2500,
                          dt.datetime(2026, 12, 4, tzinfo=dt.timezone.utc), "logit-predictive-250d")
    assert "1. 삼성전자 (005930) 41% - board: 12 board posts" in message_text(watchlist)
    body = json.loads(json.dumps(payload(watchlist), ensure_ascii=False))
    assert body["stocks"][0]["reasons"][1]["detail"] == "12 board posts" and body["n_ranked"] == 2500
    assert body["caveats"] == [] and "caveat" not in message_text(watchlist)
    warned = dataclasses.replace(watchlist, caveats=("board: the last pass (crawl stockdebate) failed with exit 5",))
    assert message_text(warned).endswith("\ncaveat: board: the last pass (crawl stockdebate) failed with exit 5")
    assert payload(warned)["caveats"] == list(warned.caveats)


def test_given_a_last_pass_that_cannot_reach_kafka_when_making_the_watchlist_then_the_list_is_made_and_says_what_it_may_miss(
        scored):
    urls, days = scored
    day = days[-1]
    before = _sql(urls["admin"], "SELECT code FROM if_watchlist WHERE trade_date = %s ORDER BY rank", (day,))
    try:
        result = _watchlist(urls, "--date", day.isoformat(), "--top", "5", "--no-notify", "--refresh-budget", "20",
                            refresh=True, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9", LOG_LEVEL="WARNING")
        assert result.returncode == 0, result.stderr[-3000:]
        stored = _sql(urls["admin"], "SELECT code, caveats FROM if_watchlist WHERE trade_date = %s ORDER BY rank",
                      (day,))
        assert [c for c, _ in stored] == [c for (c,) in before]        # the same list, from what is loaded
        caveats = stored[0][1]
        assert any(c.startswith("board: the last pass (crawl stockdebate) failed") for c in caveats), caveats
        assert any(c.startswith("news: the last pass (crawl news) failed") for c in caveats), caveats
        assert any(c.startswith("loader:") for c in caveats), caveats
        assert all(row[1] == caveats for row in stored)
        assert "caveat: board: the last pass" in result.stdout
    finally:
        _restore(urls, day)
