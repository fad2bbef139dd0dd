"""Source precedence (``Stream.precedence``, shared/streams.py): a record from a poorer source
never replaces a richer source's row for the same key, whichever arrives first, across batches and
within one batch. Through a real Kafka topic and the loader into a real PostgreSQL."""
from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

from services.loader.consumer import Loader
from shared.streams import STREAMS_BY_NAME
from shared.parsers import PARSERS
from shared.records import FearGreed
from tests.loader.streams import envelope_bytes, produce

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 9, 29)
PAGE_SOURCE = PARSERS["cnn-fear-greed-page"].source
COMPONENTS = dict(market_momentum=81.2, stock_price_strength=70.4, stock_price_breadth=66.0,
                  put_call_options=90.1, market_volatility=50.0, junk_bond_demand=77.7, safe_haven_demand=88.8)
FROM_JSON = FearGreed(as_of_date=DAY, score=77.8, rating="extreme greed", **COMPONENTS)
FROM_PAGE = FearGreed(as_of_date=DAY, score=78, rating="extreme greed")
JSON = envelope_bytes(FROM_JSON, "json-run", source="fear-greed")
PAGE = envelope_bytes(FROM_PAGE, "page-run", source=PAGE_SOURCE)


def _load(settings) -> None:
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)


def _row(settings) -> tuple:
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT score, {', '.join(COMPONENTS)}, source FROM if_fear_greed")
        rows = cur.fetchall()
    assert len(rows) == 1
    return tuple(float(v) if v is not None and not isinstance(v, str) else v for v in rows[0])


RICH = (77.8, *COMPONENTS.values(), "fear-greed")


def test_the_fear_greed_page_source_ranks_below_the_json():
    assert STREAMS_BY_NAME["fear_greed"].precedence.index(PAGE_SOURCE) > STREAMS_BY_NAME["fear_greed"].precedence.index("fear-greed")


@pytest.mark.parametrize("order", ["json-then-page", "page-then-json"])
def test_given_the_json_and_the_fallback_page_for_one_day_in_two_batches_when_loaded_then_the_json_stays(
        settings, order):
    first, second = (JSON, PAGE) if order == "json-then-page" else (PAGE, JSON)
    produce(settings, [first], stream="fear_greed")
    _load(settings)
    produce(settings, [second], stream="fear_greed")
    _load(settings)
    assert _row(settings) == RICH


@pytest.mark.parametrize("order", ["json-then-page", "page-then-json"])
def test_given_the_json_and_the_fallback_page_for_one_day_in_one_batch_when_loaded_then_the_json_stays(
        settings, order):
    produce(settings, [JSON, PAGE] if order == "json-then-page" else [PAGE, JSON], stream="fear_greed")
    _load(settings)
    assert _row(settings) == RICH


def test_given_a_newer_json_record_for_the_day_when_loaded_then_it_still_replaces_the_older_one(settings):
    produce(settings, [JSON], stream="fear_greed")
    _load(settings)
    final = FearGreed(as_of_date=DAY, score=79.1, rating="extreme greed", **COMPONENTS)
    produce(settings, [envelope_bytes(final, "json-run-2", source="fear-greed")], stream="fear_greed")
    _load(settings)
    assert _row(settings)[0] == 79.1


def test_given_only_the_fallback_page_when_loaded_then_its_day_lands(settings):
    produce(settings, [PAGE], stream="fear_greed")
    _load(settings)
    assert _row(settings)[:2] == (78.0, None)


def test_given_a_known_change_when_the_same_day_comes_without_one_then_the_change_stays_and_a_new_one_replaces_it(
        settings):
    from tests.loader.streams import daily_price

    def load(change):
        produce(settings, [envelope_bytes(daily_price(1).model_copy(update={"change": change}))])
        _load(settings)
        with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
            cur.execute("SELECT change FROM if_stock_daily_price")
            return [None if v is None else float(v) for (v,) in cur.fetchall()]

    assert load(35.0) == [35.0]
    assert load(None) == [35.0]  # e.g. a re-parsed chart whose first row lacks the session before
    assert load(-12.5) == [-12.5]
