"""``insertcoin crawl disclosure`` against the simulated world: replay -> crawl -> Kafka -> loader ->
if_disclosure equal to the world's truth; unresolved rows counted; a bad key is a configuration
error; settled days are not fetched again, today's are."""
from __future__ import annotations

import datetime as dt

import orjson
import psycopg2
import pytest

from types import SimpleNamespace

from services.disclosure.spider import list_form
from shared.crawlers import CRAWLERS
from shared.crawling.bookmarks import Bookmarks
from shared.crawling.days import CrawlPlan
from services.loader.consumer import Loader
from shared.records import Disclosure
from tests.crawl.conftest import FIRST, LAST, crawl, one_line, runs, truth

pytestmark = pytest.mark.integration
DAYS = ("--from", FIRST.isoformat(), "--to", LAST.isoformat())


def _table(settings) -> dict[str, dict]:
    columns = tuple(Disclosure.model_fields)
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM if_disclosure")
        rows = [Disclosure.model_validate(dict(zip(columns, row))) for row in cur.fetchall()]
    return {r.receipt_no: r.model_dump(mode="json") for r in rows}


def test_given_a_simulated_world_when_disclosures_are_crawled_and_loaded_then_the_table_equals_the_truth(
        settings, crawl_world, env_for):
    env = env_for()
    finished = crawl(env, "disclosure", *DAYS)
    assert finished.code == 0, finished.stderr[-2000:]
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    expected = {r["receipt_no"]: Disclosure.model_validate(r).model_dump(mode="json")
                for r in truth(crawl_world, "disclosure")}
    loaded = _table(settings)
    assert set(loaded) == set(expected), (len(loaded), len(expected))
    for key, want in expected.items():
        diff = {f: (want[f], loaded[key][f]) for f in want if want[f] != loaded[key][f]}
        assert not diff, f"{key}: (truth, table) differ in {diff}"

    (run,) = runs(settings, "disclosure")
    unresolved = sum(r["stock_code"] is None for r in expected.values())
    assert 0 < unresolved < len(expected)
    assert run["status"] == "succeeded" and run["errors"] == 0, run
    assert run["records"] == len(expected)
    assert run["detail"]["unresolved"] == unresolved and run["detail"]["unresolved_listed"] == 0
    days = (LAST - FIRST).days + 1
    # one corpCode.xml, one /main.do, then at least one list page per calendar day
    assert run["pages"] >= days + 1 and run["requests"] == run["pages"] + 1, run

    again = crawl(env, "disclosure", *DAYS)  # every day is settled (the world is in the past): nothing to fetch
    assert again.code == 0, again.stderr[-2000:]
    second = runs(settings, "disclosure")[-1]
    assert second["requests"] == 0 and second["detail"]["units_skipped"] == days, second


def test_given_a_wrong_opendart_key_when_crawling_then_a_configuration_error_in_one_line_without_the_key(
        settings, env_for):
    env = env_for(OPENDART_API_KEY="not-the-key-1234567890")
    finished = crawl(env, "disclosure", "--date", LAST.isoformat())
    assert finished.code == 2, finished.stderr[-2000:]
    line = one_line(finished.stderr)
    assert "status 010" in line and "configuration" in line
    assert "not-the-key-1234567890" not in finished.stderr
    (run,) = runs(settings, "disclosure")
    assert run["status"] == "failed"


def test_given_no_opendart_key_when_crawling_then_refused_before_any_request(settings, env_for):
    env = env_for()
    env.pop("OPENDART_API_KEY")
    finished = crawl(env, "disclosure", "--date", LAST.isoformat())
    assert finished.code == 2 and "OPENDART_API_KEY" in one_line(finished.stderr)


@pytest.mark.parametrize("age, complete", [(0, False), (6, False), (7, True), (30, True)])
def test_given_a_days_age_when_crawled_then_complete_only_once_settled_a_week_later(age, complete):
    today = dt.date(2026, 9, 30)
    run = SimpleNamespace(service="disclosure", plan=CrawlPlan(today=today), bookmarks=Bookmarks(), run_id="r-1")
    cursor = CRAWLERS["disclosure"].cursor(run)
    day = (today - dt.timedelta(days=age)).strftime("%Y%m%d")
    cursor.note(day, rows=12)
    cursor.finish(day)
    assert cursor.settled(day) is complete
    assert run.bookmarks.unwritten == ({f"disclosure:{day}": {"done": True, "run_id": "r-1", "rows": 12}} if complete
                                       else {})


def test_given_a_day_when_its_form_is_built_then_it_asks_the_whole_market_newest_first_100_a_page():
    form = list_form(dt.date(2023, 11, 14), 2)
    assert form == {"currentPage": "2", "maxResults": "100", "maxLinks": "10", "sort": "time", "series": "desc",
                    "pageGrouping": "", "mdayCnt": "0", "selectDate": "2023.11.14"}
    assert orjson.dumps(form)
