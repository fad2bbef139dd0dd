"""The watchlist's last pass before the open (services/watchlist/refresh.py) against the replay
site, real Kafka and a real loader: both crawls run, and what they published is in PostgreSQL
when the pass returns, so the list ranks on it."""
from __future__ import annotations

import psycopg2
import pytest

from shared.settings import get_settings
from tests.crawl.conftest import LAST, crawl, runs, truth
from tests.loader.processes import Loaders

pytestmark = pytest.mark.integration


def _count(url: str, sql: str, params=()) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_given_the_days_news_not_yet_crawled_when_the_watchlist_pass_runs_then_both_crawls_ran_and_the_news_is_loaded_before_it_returns(
        settings, database, crawl_world, env_for, monkeypatch):
    from services.watchlist.refresh import last_pass

    env = env_for()
    assert crawl(env, "stockcode").code == 0
    news = [n for n in truth(crawl_world, "news_rank") if n["rank_date"] == LAST.isoformat()]
    assert news and _count(database["admin"], "SELECT count(*) FROM if_news_rank") == 0
    loaders = Loaders()
    try:
        loaders.start(settings)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        caveats = last_pass(LAST, budget=240)
    finally:
        loaders.kill_all()
        get_settings.cache_clear()
    assert caveats == []
    # no waiting here: the pass returned only once the loader had written what the crawls published
    assert _count(database["admin"], "SELECT count(*) FROM if_news_rank WHERE rank_date = %s", (LAST,)) == len(news)
    assert [r["status"] for r in runs(settings, "stockdebate")] == ["succeeded"]
    assert [r["status"] for r in runs(settings, "news")] == ["succeeded"]
