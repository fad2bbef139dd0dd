"""Financial events two ways for one small world: from its truth file (what validation scores) and
from if_financial_statement after a crawl at every publication time, loaded by the loader's own
upsert with loaded_at / updated_at set to that time (what ``insertcoin score`` reads)."""
from __future__ import annotations

import datetime as dt

import orjson
import psycopg2
import pytest

from ml import dataset

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


def test_given_loads_at_publication_times_when_loading_events_then_sql_and_truth_agree_on_what_a_table_keeps(
        world, database):
    backfill = _crawl_at_publication_times(world, database["admin"])
    conn = dataset.connect(database["ml"])
    try:
        sql = dataset.load_financial_events(conn, backfill - dt.timedelta(days=30),
                                            backfill + dt.timedelta(days=200))
    finally:
        conn.close()
    truth = dataset.financial_events_from_truth(world / "truth" / "financial_events.jsonl")
    rows = [orjson.loads(line) for line in (world / "truth" / "financial_events.jsonl").read_bytes().splitlines()]
    truth["period"] = [(r["period_type"], r["period"]) for r in rows]
    guard = (backfill + dt.timedelta(hours=1)).replace(tzinfo=None)      # the backfill is history
    truth = truth[truth["event_at"] > guard]

    def keyed(frame):
        return sorted(zip(frame["code"], frame["kind"], frame["event_at"].astype(str)))

    statements = truth[truth["kind"] == "new_statement"]
    assert len(statements) > 10
    assert keyed(sql[sql["kind"] == "new_statement"]) == keyed(statements)

    # Revisions: the table keeps a row's last change only, and a published period's estimate rows
    # became its actual rows; so SQL sees the last revision of each period still unpublished, among
    # the revisions that change a shown figure (rounding hides some revisions of small companies).
    published = set(zip(statements["code"], statements["period"]))
    unpublished = [(c, p) not in published for c, p in zip(truth["code"], truth["period"])]
    shown = [_changes_the_page(world, c, p, t) for c, p, t in zip(truth["code"], truth["period"], truth["event_at"])]
    open_periods = truth[(truth["kind"] == "estimate_revision").to_numpy() & unpublished & shown]
    last = open_periods.sort_values("event_at").groupby(["code", "period"]).tail(1)
    assert len(last) > 5
    assert keyed(sql[sql["kind"] == "estimate_revision"]) == keyed(last)
