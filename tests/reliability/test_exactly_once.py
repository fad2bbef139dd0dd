"""Exactly once under faults: a steady mixed stream (daily prices, board posts, listings from two
sources that merge) goes to Kafka while the suite kill -9s the loader, restarts the broker and
restarts PostgreSQL (fast and immediate); then every table is compared with what was produced:
missing, doubled, stale (an older version of a key won) and wrong rows are counted, and all must be
zero. Each key is sent in several versions, in order, on its own partition: the last one must win."""
from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg2
import pytest

from shared.broker import make_producer
from shared.records import BoardPost, DailyPrice, Envelope, StockListing
from shared.topics import topic_for
from tests.loader.processes import Loaders, kill
from tests.reliability.stack_faults import restart_broker, restart_postgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VERSIONS = 3          # each key is sent this many times, its content changing each time
LISTING_CODES = 150
DAY = dt.date(2026, 10, 1)


@dataclass
class Produced:
    """What the producer got acknowledged, per table key: the value of every version, in order."""

    prices: dict[tuple, list[tuple]] = field(default_factory=dict)     # (code, day) -> [(close, run_id)]
    posts: dict[tuple, list[tuple]] = field(default_factory=dict)      # (code, post_id) -> [(views, run_id)]
    listings: dict[str, list[tuple]] = field(default_factory=dict)     # code -> [(source, name, sector|cap)]
    sent: int = 0
    acknowledged: int = 0
    failed: list[str] = field(default_factory=list)


def _record(j: int, per_version: int) -> tuple[object, str, tuple]:
    """The j-th message of the stream: (record, source, what to remember of it). Keys come round
    once per version, so the versions of a key are spread over the whole run (and its faults)."""
    version, slot = divmod(j, per_version)
    run_id = f"v{version}"
    kind = slot % 20
    if kind < 10:  # daily prices
        i = slot // 20 * 10 + kind
        code, day = f"{i % 1500:06d}", DAY + dt.timedelta(days=i // 1500)
        close = float(1000 + i % 977) + version / 4
        return (DailyPrice(code=code, trade_date=day, open=close, high=close + 1, low=close - 1, close=close,
                           volume=i + version), run_id, ("price", (code, day), (Decimal(repr(close)), run_id)))
    if kind < 17:  # board posts: their reactions grow
        i = slot // 20 * 7 + kind - 10
        code, post_id = f"{i % 300:06d}", str(400_000_000 + i)
        views = 10 * i + version
        return (BoardPost(code=code, post_id=post_id, title=f"글 {i}", author="개미", views=views,
                          posted_at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.timezone.utc)
                          + dt.timedelta(seconds=i)),
                run_id, ("post", (code, post_id), (views, run_id)))
    # listings: KIND knows the sector, Naver the security type and the market cap; they merge
    i = slot // 20 * 3 + kind - 17
    code = f"{i % LISTING_CODES:06d}"
    naver = (i // LISTING_CODES + version) % 2 == 0
    name = f"종목{i}-{version}"
    if naver:
        cap = 10_000 * i + version
        return (StockListing(code=code, name=name, market="KOSPI", security_type="stock", market_cap=cap),
                "naver", ("listing", code, ("naver", name, cap)))
    sector = f"업종{i}-{version}"
    return (StockListing(code=code, name=name, market="KOSPI", sector=sector, listed_date=dt.date(2000, 1, 3)),
            "kind", ("listing", code, ("kind", name, sector)))


def _produce(settings, total: int, seconds: float, produced: Produced, stop: threading.Event) -> None:
    """``total`` records at a steady rate over ``seconds``, each remembered once acknowledged."""
    # (a broker away for up to 50 s, three times: records wait in the buffer rather than expire)
    producer = make_producer(settings, linger_ms=5, delivery_timeout_ms=900_000, max_block_ms=900_000)
    per_version = total // VERSIONS
    started = time.monotonic()
    futures = []
    lock = threading.Lock()
    for j in range(per_version * VERSIONS):
        if stop.is_set():
            break
        time.sleep(max(0.0, started + seconds * j / total - time.monotonic()))
        record, source, (table, key, value) = _record(j, per_version)
        envelope = Envelope.wrap(record, source=source, run_id=value[1] if table != "listing" else f"v{j}",
                                 extracted_at=dt.datetime.now(dt.timezone.utc))

        def remember(_metadata, table=table, key=key, value=value) -> None:
            with lock:
                target = {"price": produced.prices, "post": produced.posts, "listing": produced.listings}[table]
                target.setdefault(key, []).append(value)
                produced.acknowledged += 1

        future = producer.send(topic_for(record.stream, settings.kafka_topic_prefix),
                               key=envelope.key.encode(), value=envelope.model_dump_json().encode())
        future.add_callback(remember)
        future.add_errback(lambda exc: produced.failed.append(repr(exc)))
        futures.append(future)
        produced.sent += 1
    producer.flush(timeout=300)
    producer.close()


def _listing_expected(versions: list[tuple]) -> tuple:
    """The merged listing: the last name; the last sector KIND sent, the last cap Naver sent."""
    name = versions[-1][1]
    sector = next((v[2] for v in reversed(versions) if v[0] == "kind"), None)
    cap = next((v[2] for v in reversed(versions) if v[0] == "naver"), None)
    return name, sector, cap


def count(settings, produced: Produced) -> dict[str, dict[str, int]]:
    """Missing, doubled, stale and wrong rows per table against what was acknowledged."""
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute("SELECT code, trade_date, close, run_id FROM if_stock_daily_price")
        prices = cur.fetchall()
        cur.execute("SELECT code, post_id, views, run_id FROM if_board_post")
        posts = cur.fetchall()
        cur.execute("SELECT code, name, sector, market_cap FROM m_stock")
        listings = cur.fetchall()
        cur.execute("SELECT count(*) FROM if_dead_letter")
        dead = cur.fetchone()[0]
    result = {}
    for table, rows, sent in (("if_stock_daily_price", prices, produced.prices),
                              ("if_board_post", posts, produced.posts)):
        got: dict[tuple, list[tuple]] = {}
        for a, b, value, run_id in rows:
            got.setdefault((a, b), []).append((value, run_id))
        tally = {"expected": len(sent), "rows": len(rows), "missing": 0, "doubled": 0, "stale": 0, "wrong": 0}
        for key, versions in sent.items():
            found = got.get(key)
            if not found:
                tally["missing"] += 1
                continue
            tally["doubled"] += len(found) - 1
            if found[-1] == versions[-1]:
                continue
            tally["stale" if found[-1] in versions[:-1] else "wrong"] += 1
        tally["wrong"] += sum(1 for key in got if key not in sent)
        result[table] = tally
    by_code = {}
    for code, name, sector, cap in listings:
        by_code.setdefault(code, []).append((name, sector, cap))
    tally = {"expected": len(produced.listings), "rows": len(listings), "missing": 0, "doubled": 0,
             "stale": 0, "wrong": 0}
    for code, versions in produced.listings.items():
        found = by_code.get(code)
        if not found:
            tally["missing"] += 1
            continue
        tally["doubled"] += len(found) - 1
        want = _listing_expected(versions)
        if found[-1] == want:
            continue
        older = {_listing_expected(versions[:n]) for n in range(1, len(versions))}
        tally["stale" if found[-1] in older else "wrong"] += 1
    tally["wrong"] += sum(1 for code in by_code if code not in produced.listings)
    result["m_stock"] = tally
    result["if_dead_letter"] = {"rows": dead}
    return result


def _settled(tally: dict) -> bool:
    return all(t["missing"] == t["doubled"] == t["stale"] == t["wrong"] == 0 and t["rows"] == t["expected"]
               for name, t in tally.items() if name != "if_dead_letter")


#: Fault scenarios: each family alone (the full profile), and all of them interleaved (both).
SCENARIOS = ["mixed"] if os.environ.get("RELIABILITY_PROFILE", "fast") == "fast" else \
    ["loader kills", "broker restarts", "postgres restarts", "mixed"]


def _faults(profile, scenario: str) -> list[str]:
    """The scenario's faults at the profile's counts; mixed: kills between the restarts."""
    restarts = ["broker"] * profile.broker_restarts if scenario in ("broker restarts", "mixed") else []
    if scenario in ("postgres restarts", "mixed"):
        restarts += [("postgres-fast", "postgres-immediate")[i % 2] for i in range(profile.postgres_restarts)]
    random.Random(13).shuffle(restarts)
    kills = ["kill"] * profile.kills if scenario in ("loader kills", "mixed") else []
    plan: list[str] = []
    while kills or restarts:
        if kills:
            plan.append(kills.pop())
        if restarts:
            plan.append(restarts.pop())
    return plan


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_given_loader_kills_broker_and_postgres_restarts_when_a_mixed_stream_is_loaded_then_nothing_is_lost_doubled_or_stale(
        settings, profile, figures, tmp_path, scenario):
    plan = _faults(profile, scenario)
    seconds = max(20.0, 6.0 * len(plan))  # the stream runs through every fault
    produced, stop = Produced(), threading.Event()
    producer = threading.Thread(target=_produce, args=(settings, profile.records, seconds, produced, stop))
    loaders = Loaders()
    log = tmp_path / "loader.log"
    rng = random.Random(20261204)
    events: list[dict] = []
    exits: list[str] = []  # loaders that stopped on their own (a database or broker failure may do that)
    try:
        loader, started_at = loaders.start(settings, batch_size=5000, log=log), time.monotonic()
        producer.start()
        gap = seconds / (len(plan) + 1)
        for fault in plan:
            time.sleep(rng.uniform(0.5, 1.5) * gap)
            if loader.poll() is not None:
                exits.append(f"exit {loader.returncode}")
                loader, started_at = loaders.start(settings, batch_size=5000, log=log), time.monotonic()
            at = time.monotonic()
            if fault == "kill":
                kill(loader)
                loader, started_at = loaders.start(settings, batch_size=5000, log=log), time.monotonic()
                took = 0.0
            elif fault == "broker":
                took = restart_broker(settings)
            else:
                took = restart_postgres(settings, fault.split("-")[1])
            events.append({"fault": fault, "seconds": round(took, 2), "at": round(at, 2)})
        last_fault = time.monotonic()
        producer.join(timeout=seconds + 300)
        produced_done = time.monotonic()
        assert not producer.is_alive(), "the producer did not finish"

        deadline = time.monotonic() + 240
        tally = count(settings, produced)
        while not _settled(tally) and time.monotonic() < deadline:
            if loader.poll() is not None:
                exits.append(f"exit {loader.returncode}")
                loader, started_at = loaders.start(settings, batch_size=5000, log=log), time.monotonic()
            time.sleep(0.5)
            tally = count(settings, produced)
        drained = time.monotonic()
        # A loader started a moment ago may not have its SIGTERM handler yet (it is still
        # importing): give it a few seconds, then it must stop cleanly.
        time.sleep(max(0.0, started_at + 8 - time.monotonic()))
        loader.terminate()
        loader.wait(timeout=60)
        figures.update(scenario=scenario, records_produced=produced.acknowledged, records_sent=produced.sent,
                       unacknowledged=len(produced.failed), faults=events, loader_exits=len(exits),
                       drain_seconds_after_last_fault=round(drained - last_fault, 1),
                       drain_seconds_after_last_record=round(drained - produced_done, 1), tables=tally)
    finally:
        stop.set()
        loaders.kill_all()

    assert produced.failed == [] and produced.acknowledged == produced.sent == profile.records // VERSIONS * VERSIONS
    assert loader.returncode == 0, log.read_text()[-2000:]
    assert tally["if_dead_letter"]["rows"] == 0
    for table in ("if_stock_daily_price", "if_board_post", "m_stock"):
        assert {k: tally[table][k] for k in ("missing", "doubled", "stale", "wrong")} == \
            {"missing": 0, "doubled": 0, "stale": 0, "wrong": 0}, (table, tally[table], exits, log.read_text()[-3000:])
        assert tally[table]["rows"] == tally[table]["expected"]
