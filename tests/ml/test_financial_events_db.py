"""Financial events two ways for one small world: from its truth file (what validation scores) and
from the statement history (if_financial_statement_change) after a crawl at every publication
time, loaded by the loader's own upsert with the load timestamps (and so the history's changed_at)
set to that time (what ``insertcoin score`` reads)."""
from __future__ import annotations

import datetime as dt

import orjson
import psycopg2
import pytest

from ml import dataset
from tests.truth import financial_events_from_truth

pytestmark = pytest.mark.integration
START, END = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
KST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """20 securities over a quarter: Q4 statements come out, estimates get revised, and two planted
    movers a day get a financial event before the open."""
    from services.replay.effects import Effect, EffectsConfig
    from services.replay.simulate import build_world

    out = tmp_path_factory.mktemp("world")
    build_world(out, stocks=20, start=START, end=END, seed=11,
                effects=EffectsConfig(movers_per_day=2, effects=[Effect(medium="financial", lag=1)]))
    return out


def _crawl_at_publication_times(world, url) -> dt.datetime:
    """Load what the finance pages show at the first event time (the backfill) and then at every
    event time (the stocks with an event then), stamping the rows each load inserts or changes with
    that time. Returns the backfill time (UTC)."""
    from services.loader.writer import write_records
    from services.replay.disclosures import statement_at
    from services.replay.store import KeyedFile
    from services.replay.truth import statement_records

    timelines = KeyedFile(world / "financials.jsonl")
    rows = [orjson.loads(line) for line in (world / "truth" / "financial_events.jsonl").read_bytes().splitlines()]
    first = min(r["published_at"][:19] for r in rows)
    backfill = (dt.datetime.fromisoformat(first) - dt.timedelta(seconds=1)).isoformat()
    crawls: dict[str, set[str]] = {backfill: set(timelines.index)}
    for r in rows:
        crawls.setdefault(r["published_at"][:19], set()).add(r["code"])
    with psycopg2.connect(url) as conn:
        for clock in sorted(crawls):
            with conn.cursor() as cur:
                cur.execute("SELECT now()")
                (now,) = cur.fetchone()
                statements = {code: statement_at(timelines.get(code), clock) for code in sorted(crawls[clock])}
                write_records(conn, statement_records(statements), source="naver_finance", run_id=clock)
                stamp = dt.datetime.fromisoformat(clock).replace(tzinfo=KST)
                cur.execute("UPDATE if_financial_statement SET loaded_at = CASE WHEN loaded_at = %s THEN %s "
                            "ELSE loaded_at END, updated_at = %s WHERE updated_at = %s", (now, stamp, stamp, now))
                cur.execute("UPDATE if_financial_statement_change SET changed_at = %s WHERE changed_at = %s",
                            (stamp, now))
            conn.commit()
    return dt.datetime.fromisoformat(backfill).replace(tzinfo=KST).astimezone(dt.timezone.utc)


def _changes_the_page(world, code: str, period: tuple[str, str], at_utc) -> bool:
    """Whether the finance page of ``code`` shows ``period`` differently right after ``at_utc``."""
    from services.replay.disclosures import statement_at
    from services.replay.store import KeyedFile

    timeline = KeyedFile(world / "financials.jsonl").get(code)
    at = (at_utc + dt.timedelta(hours=9)).to_pydatetime()
    before, after = (statement_at(timeline, (at + dt.timedelta(seconds=s)).isoformat())[period[0]]
                     for s in (-1, 0))
    column = lambda cols: next((c for c in cols if c["period"] == period[1]), None)  # noqa: E731
    return column(before) != column(after)


def test_given_loads_at_publication_times_when_loading_events_then_sql_returns_every_event_that_changed_a_figure(
        world, database):
    backfill = _crawl_at_publication_times(world, database["admin"])
    conn = dataset.connect(database["ml"])
    try:
        sql = dataset.load_financial_events(conn, backfill - dt.timedelta(days=30),
                                            backfill + dt.timedelta(days=200))
    finally:
        conn.close()
    truth = financial_events_from_truth(world / "truth" / "financial_events.jsonl")
    rows = [orjson.loads(line) for line in (world / "truth" / "financial_events.jsonl").read_bytes().splitlines()]
    truth["period"] = [(r["period_type"], r["period"]) for r in rows]
    # The backfill's actuals are history, not news: SQL dates new statements from an hour after a
    # stock's first load. A revision is a change after the first load whenever it comes.
    guard = (backfill + dt.timedelta(hours=1)).replace(tzinfo=None)
    truth = truth[(truth["event_at"] > guard) | (truth["kind"] == "estimate_revision")]

    def keyed(frame):
        return sorted(zip(frame["code"], frame["kind"], frame["event_at"].astype(str)))

    statements = truth[truth["kind"] == "new_statement"]
    assert len(statements) > 10
    assert keyed(sql[sql["kind"] == "new_statement"]) == keyed(statements)

    # Every revision that changes a stored figure, of published periods too, not only the last of
    # each period. The ones SQL cannot see change no figure the page shows (the simulator revises
    # the consensus of small companies by less than the page's rounding): no row changes, no event.
    revisions = truth[truth["kind"] == "estimate_revision"]
    shown = [_changes_the_page(world, c, p, t) for c, p, t in zip(revisions["code"], revisions["period"],
                                                                  revisions["event_at"])]
    published = set(zip(statements["code"], statements["period"]))
    seen = revisions[shown]
    assert len(seen) > 20
    assert sum((c, p) in published for c, p in zip(seen["code"], seen["period"])) > 5
    assert len(seen.groupby(["code", "period"])) < len(seen)           # periods revised more than once
    assert keyed(sql[sql["kind"] == "estimate_revision"]) == keyed(seen)
    assert len(sql) == len(statements) + len(seen)
