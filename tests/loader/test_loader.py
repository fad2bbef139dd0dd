"""The loader on a real Kafka broker and a real PostgreSQL: exactly once, dead letters, roles."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time

import orjson
import psycopg2
import pytest
from kafka import KafkaConsumer

from services.loader.consumer import Loader
from services.loader.dead_letter import TOPIC_PAYLOAD_MAX
from shared.records import BoardPost, StockListing
from shared.topics import topic_for
from tests.loader.streams import allow_large_messages, daily_price, envelope_bytes, produce

pytestmark = pytest.mark.integration


def _load(settings, **kwargs):
    return Loader(settings, batch_seconds=0.5, **kwargs).run(until_idle=True, idle_seconds=1.0)


def _rows(settings, query):
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_given_records_redelivered_and_recrawled_when_loaded_then_one_row_each_and_nothing_changes(settings):
    records = [daily_price(i) for i in range(500)]
    produce(settings, [envelope_bytes(r, "run-1") for r in records])
    first = _load(settings)
    assert first.written == 500
    stamp = _rows(settings, "SELECT max(updated_at), count(*) FROM if_stock_daily_price")[0]

    # A re-crawl (new run id, same content) and a redelivery (another group replays the topic).
    produce(settings, [envelope_bytes(r, "run-2") for r in records])
    again = _load(settings)
    replay = _load(settings, group_id="replaying-group")
    assert (again.messages, again.written, again.unchanged) == (500, 0, 500)
    assert (replay.messages, replay.written) == (1000, 0)
    assert _rows(settings, "SELECT max(updated_at), count(*) FROM if_stock_daily_price")[0] == stamp


def test_given_a_changed_record_when_loaded_then_its_row_is_updated_and_only_it(settings):
    produce(settings, [envelope_bytes(daily_price(i)) for i in range(10)])
    _load(settings)
    produce(settings, [envelope_bytes(daily_price(3, close=4242.0), "late-close")])
    stats = _load(settings)
    assert stats.written == 1
    rows = _rows(settings, "SELECT code, close, run_id FROM if_stock_daily_price WHERE run_id = 'late-close'")
    assert [(code, float(close)) for code, close, _ in rows] == [("000003", 4242.0)]
    assert _rows(settings, "SELECT count(*) FROM if_stock_daily_price")[0][0] == 10


def test_given_duplicates_within_one_batch_when_loaded_then_the_last_one_wins(settings):
    produce(settings, [envelope_bytes(daily_price(7, close=1.0)), envelope_bytes(daily_price(7, close=2.0))])
    _load(settings)
    assert _rows(settings, "SELECT close FROM if_stock_daily_price")[0][0] == 2


def test_given_listings_from_two_sources_when_one_lacks_the_sector_then_the_known_sector_stays(settings):
    kind = StockListing(code="005930", name="삼성전자", market="KOSPI", sector="반도체 제조업",
                        listed_date=dt.date(1975, 6, 11))
    naver = StockListing(code="005930", name="삼성전자", market="KOSPI", security_type="stock",
                         market_cap=1585803072420000)
    produce(settings, [envelope_bytes(kind)], stream="stock_listing")
    _load(settings)
    produce(settings, [envelope_bytes(naver)], stream="stock_listing")
    _load(settings)
    assert _rows(settings, "SELECT sector, security_type, listed_date, market_cap FROM m_stock") == [
        ("반도체 제조업", "stock", dt.date(1975, 6, 11), 1585803072420000)]


def test_given_listings_from_two_sources_in_one_batch_when_loaded_then_each_keeps_what_it_knows(settings):
    kind = StockListing(code="000660", name="SK하이닉스", market="KOSPI", sector="반도체 제조업",
                        listed_date=dt.date(1996, 12, 26))
    naver = StockListing(code="000660", name="SK하이닉스", market="KOSPI", security_type="stock",
                         market_cap=1301006902065000)
    # Naver first, then KIND, in the same batch: KIND's nulls must not erase Naver's values.
    produce(settings, [envelope_bytes(naver), envelope_bytes(kind)], stream="stock_listing")
    _load(settings)
    assert _rows(settings, "SELECT sector, security_type, listed_date, market_cap FROM m_stock") == [
        ("반도체 제조업", "stock", dt.date(1996, 12, 26), 1301006902065000)]


@pytest.mark.parametrize("decoders", [0, 2], ids=["in-process", "decoder-processes"])
def test_given_invalid_messages_when_loaded_then_they_go_to_the_dead_letter_and_the_rest_loads(settings, decoders):
    good = [envelope_bytes(daily_price(i)) for i in range(3)]
    _key, value = envelope_bytes(daily_price(99))
    envelope = orjson.loads(value)
    wrong_type = dict(envelope, record=dict(envelope["record"], volume="lots"))
    missing_key = {k: v for k, v in envelope.items() if k != "key"}
    future_version = dict(envelope, schema_version=7)
    bad_key = dict(envelope, key="000099|1999-01-01")
    halted_with_open = dict(envelope, record=dict(envelope["record"], halted=True))
    bad = [
        (b"k1", orjson.dumps(wrong_type)),
        (b"k2", orjson.dumps(missing_key)),
        (b"k3", orjson.dumps(future_version)),
        (b"k4", b"\x00\xffnot json at all"),
        (b"k5", orjson.dumps(bad_key)),
        (b"k6", orjson.dumps(halted_with_open)),
    ]
    produce(settings, [good[0], *bad[:3], good[1], *bad[3:], good[2]])
    stats = _load(settings, decoders=decoders)

    assert stats.written == 3 and stats.dead == 6
    assert _rows(settings, "SELECT count(*) FROM if_stock_daily_price")[0][0] == 3
    reasons = dict(_rows(settings, "SELECT key, reason FROM if_dead_letter"))
    assert "record.volume" in reasons["k1"]
    assert reasons["k2"].startswith("invalid daily_price envelope: key: Field required")
    assert "unknown schema_version 7" in reasons["k3"]
    assert reasons["k4"].startswith("not JSON")
    assert "does not match the record's natural key" in reasons["k5"]
    assert "halted day has no open" in reasons["k6"]
    stored = _rows(settings, "SELECT stream, payload FROM if_dead_letter WHERE key = 'k4'")
    assert [(stream, bytes(payload)) for stream, payload in stored] == [
        ("daily_price", b"\x00\xffnot json at all")]

    consumer = KafkaConsumer(topic_for("dead_letter", settings.kafka_topic_prefix),
                             bootstrap_servers=settings.kafka_bootstrap_servers, group_id="dlq-reader",
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    letters = list(consumer)
    consumer.close()
    assert len(letters) == 6
    by_key = {letter.key: dict(letter.headers) for letter in letters}
    assert by_key[b"k3"]["reason"].startswith(b"unknown schema_version 7")
    assert by_key[b"k3"]["stream"] == b"daily_price"


def _post(i: int, **fields) -> BoardPost:
    values = dict(code="005930", post_id=str(1000 + i), title=f"글 {i}", author="개미",
                  posted_at=dt.datetime(2026, 4, 18, 10, i % 60, tzinfo=dt.timezone.utc))
    return BoardPost(**(values | fields))


@pytest.mark.parametrize("decoders", [0, 2], ids=["in-process", "decoder-processes"])
def test_given_a_record_the_database_refuses_when_loaded_then_only_it_is_a_dead_letter(settings, decoders):
    # Valid by the contract, but its post_id is too long for the primary key's index (a program
    # limit, SQLSTATE 54000, not a data exception): the batch fails, halving it finds the culprit
    # and names its own message; its neighbours load.
    posts = [_post(i) for i in range(40)]
    huge = _post(99, post_id=os.urandom(6000).hex())
    messages = [envelope_bytes(p) for p in posts[:17]] + [envelope_bytes(huge)]
    messages += [(None, envelope_bytes(p)[1]) for p in posts[17:]]  # keyless messages are fine too
    produce(settings, messages, stream="board_post")
    stats = _load(settings, decoders=decoders)
    assert (stats.written, stats.dead) == (40, 1)
    assert _rows(settings, "SELECT count(*) FROM if_board_post")[0][0] == 40
    [(key, reason, payload)] = _rows(settings, "SELECT key, reason, payload FROM if_dead_letter")
    assert key == huge.key() and bytes(payload) == messages[17][1]
    assert reason.startswith("database refused the record: index row")


@pytest.mark.parametrize("decoders", [0, 2], ids=["in-process", "decoder-processes"])
def test_given_nul_in_a_key_field_and_in_the_message_key_when_loaded_then_both_are_dead_letters_and_the_rest_loads(
        settings, decoders):
    # The poison messages of issue 13: a NUL in post_id (the record and its key agree) fails the
    # COPY; a NUL in the Kafka key alone fails the key check. Neither may stop the loader, and a
    # restart must not meet them again.
    good = [_post(i) for i in range(6)]
    nul_post = _post(50, post_id="5\x00")
    _key, nul_key_value = envelope_bytes(_post(51))
    messages = [envelope_bytes(p) for p in good[:3]]
    messages += [envelope_bytes(nul_post), (b"005930|1051\x00", nul_key_value)]
    messages += [envelope_bytes(p) for p in good[3:]]
    produce(settings, messages, stream="board_post")
    stats = _load(settings, decoders=decoders)
    assert (stats.written, stats.dead) == (6, 2)
    rows = dict(_rows(settings, "SELECT key, reason FROM if_dead_letter"))
    assert rows["005930|5\\x00"].startswith("database refused the record: invalid byte sequence")
    assert "does not match the record's natural key" in rows["005930|1051\\x00"]
    letters = _dead_letter_topic(settings)
    assert {letter.key for letter in letters} == {b"005930|5\x00", b"005930|1051\x00"}  # the original bytes
    again = _load(settings)  # committed past them: a restart has nothing left to do
    assert again.messages == 0


def test_given_a_key_sent_on_both_sides_of_a_refused_record_when_the_batch_is_halved_then_the_last_version_wins(settings):
    # One batch: v1 of a post, the culprit, v2 of the same post (one key, one partition: v1 comes
    # first). Halving writes the halves in order, so v2, the later message, is what stays.
    first, second = _post(1, views=1), _post(1, views=2)
    culprit = _post(2, title="\x00")
    messages = [envelope_bytes(p) for p in (_post(i) for i in range(3, 20))]
    messages += [envelope_bytes(first), envelope_bytes(culprit), envelope_bytes(second)]
    produce(settings, messages, stream="board_post")
    stats = _load(settings, batch_size=1000)
    assert stats.dead == 1
    assert _rows(settings, f"SELECT views FROM if_board_post WHERE post_id = '{first.post_id}'") == [(2,)]


def test_given_a_dead_letter_larger_than_the_topic_takes_when_loaded_then_its_copy_is_cut_with_its_hash_and_the_row_says_so(settings):
    big = b'{"stream": "daily_price", "note": "' + b"x" * 5_000_000 + b'"'  # 5 MB, not JSON
    small = b"{broken"
    allow_large_messages(settings, "daily_price")  # the input topic takes it; the dead letter's does not
    produce(settings, [(b"big", big), (b"small", small)], max_request_size=6_000_000)
    stats = _load(settings)
    assert stats.dead == 2
    rows = {key: rest for key, *rest in _rows(
        settings, "SELECT key, length(payload), payload_bytes, payload_sha256, topic_truncated FROM if_dead_letter")}
    assert rows[b"big".decode()] == [len(big), len(big), hashlib.sha256(big).hexdigest(), True]
    assert rows["small"] == [len(small), len(small), hashlib.sha256(small).hexdigest(), False]
    letters = {letter.key: letter for letter in _dead_letter_topic(settings)}
    cut = letters[b"big"]
    headers = dict(cut.headers)
    assert cut.value == big[:TOPIC_PAYLOAD_MAX] and headers["truncated"] == b"1"
    assert headers["payload_sha256"] == hashlib.sha256(big).hexdigest().encode()
    assert headers["payload_bytes"] == str(len(big)).encode()
    assert letters[b"small"].value == small and "truncated" not in dict(letters[b"small"].headers)


def _dead_letter_topic(settings) -> list:
    consumer = KafkaConsumer(topic_for("dead_letter", settings.kafka_topic_prefix),
                             bootstrap_servers=settings.kafka_bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000,
                             fetch_max_bytes=8_000_000, max_partition_fetch_bytes=8_000_000)
    try:
        return list(consumer)
    finally:
        consumer.close()


def test_given_a_dead_letter_redelivered_when_loaded_again_then_it_is_stored_once(settings):
    produce(settings, [(b"x", b"{broken")])
    _load(settings)
    _load(settings, group_id="second-pass")
    assert _rows(settings, "SELECT count(*) FROM if_dead_letter")[0][0] == 1


def test_given_board_posts_when_loaded_then_times_are_kept_in_kst_and_hidden_posts_kept(settings):
    post = BoardPost(code="005930", post_id="417878625",
                     posted_at=dt.datetime(2026, 4, 18, 10, 2, 42, tzinfo=dt.timezone(dt.timedelta(hours=9))),
                     title="미련한 투자법", body="상승시\t목표치\n도달하면 \\매도", author="서준사랑",
                     hidden=True)
    produce(settings, [envelope_bytes(post)], stream="board_post")
    _load(settings)
    (posted_at, body, hidden), = _rows(settings, "SELECT posted_at, body, hidden FROM if_board_post")
    assert posted_at == dt.datetime(2026, 4, 18, 1, 2, 42, tzinfo=dt.timezone.utc)
    assert body == "상승시\t목표치\n도달하면 \\매도" and hidden is True


def test_given_a_few_records_when_polled_then_the_batch_ends_at_the_end_of_the_partitions_not_its_deadline(settings):
    produce(settings, [envelope_bytes(daily_price(i)) for i in range(10)])
    loader = Loader(settings, batch_size=1000, batch_seconds=5.0, decoders=0)
    try:
        deadline = time.monotonic() + 30
        batch: list = []
        while not batch and time.monotonic() < deadline:
            batch = loader._poll_batch()
        assert len(batch) == 10
        # it returned because every assigned partition (of every stream topic) reported its end
        assert loader._assignment and loader._at_end == loader._assignment
    finally:
        loader.consumer.close()


def test_given_a_loader_caught_up_when_its_last_batch_is_written_then_it_commits_at_once_not_after_the_next_poll(settings):
    produce(settings, [envelope_bytes(daily_price(i)) for i in range(10)])
    loader = Loader(settings, batch_size=1000, batch_seconds=10.0, decoders=0)
    running = threading.Thread(target=loader.run)  # long-running: stopped below
    running.start()
    try:
        deadline = time.monotonic() + 30
        while loader.stats.committed_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert loader.stats.messages == 10
        # committed well within the 10 s that the next (empty) poll waits for messages
        assert loader.stats.loading_seconds < 6.0
        assert _rows(settings, "SELECT count(*) FROM if_stock_daily_price") == [(10,)]
    finally:
        loader.stop()
        running.join(timeout=30)
