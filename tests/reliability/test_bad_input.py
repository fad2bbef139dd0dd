"""Bad input, table-driven: every case ends in its table with a value equal to what was sent, or in
the dead letter (table and topic) with its reason; the loader keeps running through all of them
(one run, decoder processes, a good record after the last case)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import psycopg2
import pytest
from kafka import KafkaConsumer, KafkaProducer

from services.loader.consumer import Loader
from services.loader.tables import SPECS
from shared.streams import MODELS
from shared.topics import topic_for
from tests.loader.streams import allow_large_messages

pytestmark = pytest.mark.integration

STORED, DEAD = "stored", "dead"
NOW = "2026-11-21T00:00:00Z"


@dataclass
class Case:
    name: str
    stream: str
    payload: bytes
    key: bytes | None
    outcome: str                 # STORED or DEAD
    reason: str = ""             # a part of the dead letter's reason
    record: dict | None = None   # what was sent (for STORED)


_counter = iter(range(10_000))


def _price(**changes) -> dict:
    n = next(_counter)
    record = {"code": "005930", "trade_date": (dt.date(2001, 1, 1) + dt.timedelta(days=n)).isoformat(),
              "open": 70000.0, "high": 71000.0, "low": 69000.0, "close": 70500.0, "volume": 1000 + n,
              "halted": False, "change": 500.0, "foreign_ratio": 51.25}
    return record | changes


def _post(**changes) -> dict:
    n = next(_counter)
    record = {"code": "005930", "post_id": str(900_000_000 + n), "posted_at": "2026-04-18T10:02:42+09:00",
              "title": "제목", "body": "본문", "author": "개미", "views": 10, "likes": 1, "dislikes": 0,
              "comment_count": 2, "hidden": False, "reply_depth": 0}
    return record | changes


def _key_of(stream: str, record: dict) -> str:
    return "|".join(str(record.get(name)) for name in MODELS[stream].primary_key)


def envelope(stream: str, record: dict, changes: dict | None = None) -> dict:
    return {"stream": stream, "schema_version": 1, "key": _key_of(stream, record), "source": "bad-input",
            "run_id": "r1", "extracted_at": NOW, "record": record} | (changes or {})


def case(name: str, stream: str, rec: dict, outcome: str, reason: str = "", *,
         message_key: bytes | None | str = "auto", raw: bytes | None = None, drop: tuple[str, ...] = (),
         env: dict | None = None) -> Case:
    """One case: the envelope of ``rec`` changed by ``env`` (and without ``drop``), or ``raw``
    bytes; its Kafka key the envelope's key unless ``message_key`` says otherwise."""
    body = {k: v for k, v in envelope(stream, rec, env).items() if k not in drop}
    payload = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if message_key == "auto":
        key = body["key"].encode("utf-8", "surrogatepass") if isinstance(body.get("key"), str) else b"auto"
    else:
        key = message_key
    return Case(name, stream, payload, key, outcome, reason, rec if outcome == STORED else None)


def price(name, outcome, reason="", **changes) -> Case:
    return case(name, "daily_price", _price(**changes), outcome, reason)


def post(name, outcome, reason="", **changes) -> Case:
    return case(name, "board_post", _post(**changes), outcome, reason)


def raw(name, payload: bytes, reason: str, stream: str = "daily_price") -> Case:
    return case(name, stream, {}, DEAD, reason, raw=payload, message_key=b"raw")


def _cases() -> list[Case]:
    good = _price()
    missing = {k: v for k, v in _price().items() if k != "close"}
    rows = [
        # not JSON, or not an envelope
        raw("empty payload", b"", "not JSON"),
        raw("json null", b"null", "invalid daily_price envelope"),
        raw("json array", b"[1, 2]", "invalid daily_price envelope"),
        raw("json number", b"42", "invalid daily_price envelope"),
        raw("json string", b'"hello"', "invalid daily_price envelope"),
        raw("truncated json", json.dumps(envelope("daily_price", _price())).encode()[:-7], "not JSON"),
        raw("trailing garbage", json.dumps(envelope("daily_price", _price())).encode() + b" xx", "not JSON"),
        raw("invalid utf-8", b"\xff\xfe\x00garbage", "not JSON"),
        raw("utf-16 json", json.dumps(envelope("daily_price", _price())).encode("utf-16"), "not JSON"),
        raw("byte order mark", b"\xef\xbb\xbf" + json.dumps(envelope("daily_price", _price())).encode(), "not JSON"),
        raw("javascript NaN", json.dumps(envelope("daily_price", _price())).encode().replace(b'"close": 70500.0', b'"close": NaN'), "not JSON"),
        raw("huge non-json body (5 MB)", b"x" * 5_000_000, "not JSON"),
        # wrong envelope
        case("no stream", "daily_price", _price(), DEAD, "stream: Field required", drop=("stream",)),
        case("stream null", "daily_price", _price(), DEAD, "stream: Input should be a valid string", env={"stream": None}),
        case("another stream's envelope", "daily_price", _price(), DEAD, "stream 'board_post' on the topic of 'daily_price'", env={"stream": "board_post"}),
        case("unknown stream", "daily_price", _price(), DEAD, "stream 'prices' on the topic", env={"stream": "prices"}),
        case("no record", "daily_price", _price(), DEAD, "record: Field required", drop=("record",)),
        case("record null", "daily_price", _price(), DEAD, "record: Input should be", env={"record": None}),
        case("record is a list", "daily_price", _price(), DEAD, "record: Input should be", env={"record": [1]}),
        case("extra envelope field", "daily_price", _price(), DEAD, "Extra inputs are not permitted", env={"trace": "x"}),
        case("schema_version 2", "daily_price", _price(), DEAD, "unknown schema_version 2", env={"schema_version": 2}),
        case("schema_version 0", "daily_price", _price(), DEAD, "unknown schema_version 0", env={"schema_version": 0}),
        case("schema_version as text", "daily_price", _price(), DEAD, "unknown schema_version '1'", env={"schema_version": "1"}),
        case("envelope key a number", "daily_price", _price(), DEAD, "key: Input should be a valid string", env={"key": 5}),
        case("envelope key missing", "daily_price", _price(), DEAD, "key: Field required", drop=("key",)),
        case("naive extracted_at", "daily_price", _price(), DEAD, "extracted_at: Input should have timezone", env={"extracted_at": "2026-11-21T00:00:00"}),
        case("extracted_at not a time", "daily_price", _price(), DEAD, "extracted_at", env={"extracted_at": "yesterday"}),
        case("run_id null", "daily_price", _price(), DEAD, "run_id", env={"run_id": None}),
        # wrong types (read strictly: nothing is converted)
        price("volume as text", DEAD, "record.volume", volume="12"),
        price("volume true", DEAD, "record.volume", volume=True),
        price("volume 1.5", DEAD, "record.volume", volume=1.5),
        price("close as text", DEAD, "record.close", close="70500"),
        price("halted as 0", DEAD, "record.halted", halted=0),
        price("trade_date as a number", DEAD, "record.trade_date", trade_date=20260101),
        price("trade_date 2026-02-30", DEAD, "record.trade_date", trade_date="2026-02-30"),
        price("code lower case", DEAD, "record.code", code="005930a"),
        post("views as a float", DEAD, "record.views", views=10.0),
        # missing and extra fields
        case("close missing", "daily_price", missing, DEAD, "record.close: Field required"),
        price("extra record field", DEAD, "record.note: Extra inputs are not permitted", note="x"),
        case("title missing", "board_post", {k: v for k, v in _post().items() if k != "title"}, DEAD, "record.title: Field required"),
        post("body null", STORED, body=None),
        # numbers: what the table cannot hold exactly is refused, the rest is stored exactly
        price("price 1234.56789 (was rounded to 4 places)", STORED, close=1234.56789, high=80000.0, low=1000.0),
        price("price 0.00001 (was stored as 0)", STORED, close=0.00001, low=0.00001, open=0.00001),
        price("tiny price 1e-300", STORED, close=1e-300, low=1e-300, open=1e-300),
        price("huge price 1e300", STORED, close=1e300, high=1e300),
        raw("price beyond a double 1e400", json.dumps(envelope("daily_price", _price())).encode().replace(b'"close": 70500.0', b'"close": 1e400'), "not JSON"),
        price("negative price", DEAD, "record.close: Input should be greater than 0", close=-1.0),
        price("zero price", DEAD, "record.close: Input should be greater than 0", close=0.0),
        price("negative volume", DEAD, "record.volume: Input should be greater than or equal to 0", volume=-1),
        price("volume 2**63 (beyond bigint)", DEAD, "record.volume: Input should be less than or equal to", volume=2**63),
        price("volume 2**63 - 1", STORED, volume=2**63 - 1),
        price("foreign ratio 100.5", DEAD, "record.foreign_ratio", foreign_ratio=100.5),
        price("foreign ratio 12.3456789", STORED, foreign_ratio=12.3456789),
        price("halted with an open price", DEAD, "a halted day has no open", halted=True),
        price("trading day without a low", DEAD, "a trading day needs open", low=None),
        post("reply depth 40000 (beyond smallint)", DEAD, "record.reply_depth", reply_depth=40_000),
        post("views 2**31 (beyond integer)", DEAD, "record.views", views=2**31),
        post("negative likes", DEAD, "record.likes", likes=-3),
        # text: control characters and COPY's own escapes go through as sent
        post("tabs and newlines", STORED, body="a\tb\nc\r\nd"),
        post("backslashes", STORED, body="C:\\temp\\new \\\\ \\t"),
        post("COPY null marker as text", STORED, body="\\N", title="\\N"),
        post("COPY end marker as text", STORED, body="\\.\nafter"),
        post("control characters", STORED, body="".join(map(chr, range(1, 32))) + "\x7f"),
        post("NUL in the body", DEAD, "database refused the record", body="a\x00b"),
        post("NUL in the title", DEAD, "database refused the record", title="\x00"),
        post("NUL in post_id (key field)", DEAD, "database refused the record", post_id="7\x00"),
        post("lone surrogate (escaped)", DEAD, "not JSON", body="\ud800"),
        raw("lone surrogate (raw bytes)", json.dumps(envelope("board_post", _post()), ensure_ascii=False).encode().replace(
            "본문".encode(), b"\xed\xa0\x80"), "not JSON", stream="board_post"),
        post("right-to-left text", STORED, body="שלום עולם \u202eRTL override\u202c مرحبا"),
        post("emoji", STORED, title="🚀📈 떡상 가즈아 🙏", body="👨‍👩‍👧 family ZWJ"),
        post("combining marks and zero-width", STORED, body="e\u0301 \u200b\u200d\ufeff"),
        post("1 MB body", STORED, body="가" * 350_000),
        post("empty title", STORED, title=""),
        post("empty post_id", DEAD, "record.post_id", post_id=""),
        post("post_id too long for its index", DEAD, "database refused the record: index row", post_id="".join(
            format(i * 2654435761 % 2**32, "08x") for i in range(1200))),
        # timestamps and dates
        post("naive posted_at", DEAD, "record.posted_at: Input should have timezone", posted_at="2026-04-18T10:02:42"),
        post("posted_at in UTC", STORED, posted_at="2026-04-18T01:02:42Z"),
        post("posted_at with microseconds", STORED, posted_at="2026-04-18T10:02:42.123456+09:00"),
        post("posted_at in year 9999", STORED, posted_at="9999-12-31T23:59:59+09:00"),
        post("posted_at in 1900", STORED, posted_at="1900-01-01T00:00:00+09:00"),
        price("trade_date 9999-12-31", STORED, trade_date="9999-12-31"),
        price("trade_date year 0", DEAD, "record.trade_date", trade_date="0000-01-01"),
        price("trade_date year 10000", DEAD, "record.trade_date", trade_date="10000-01-01"),
        # keys that disagree with the record
        case("envelope key disagrees", "daily_price", _price(), DEAD, "does not match the record's natural key",
             message_key=b"005930|1999-01-01", env={"key": "005930|1999-01-01"}),
        case("message key disagrees", "daily_price", good, DEAD, "does not match the record's natural key",
             message_key=b"000660|2001-01-01"),
        case("message key with NUL", "board_post", _post(), DEAD, "does not match the record's natural key",
             message_key=b"005930|1\x00"),
        case("message key not UTF-8", "board_post", _post(), DEAD, "does not match the record's natural key",
             message_key=b"\xff\xfe"),
        case("no message key", "daily_price", _price(), STORED, message_key=None),
    ]
    return rows


def _same(column_value, sent) -> bool:
    """A stored value equals the value sent (numbers exactly, as the double the JSON number is)."""
    if sent is None or column_value is None:
        return sent is None and column_value is None
    if isinstance(column_value, Decimal):
        return column_value == Decimal(repr(float(sent))) and not isinstance(sent, bool)
    if isinstance(column_value, dt.datetime):
        return column_value == dt.datetime.fromisoformat(sent.replace("Z", "+00:00"))
    if isinstance(column_value, dt.date):
        return column_value.isoformat() == sent
    return column_value == sent and type(column_value) is type(sent)


def _dead_letter_copies(settings) -> dict[bytes, dict]:
    consumer = KafkaConsumer(topic_for("dead_letter", settings.kafka_topic_prefix),
                             bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, max_partition_fetch_bytes=8_000_000)
    try:
        return {dict(m.headers)["origin"]: dict(m.headers) for m in consumer}
    finally:
        consumer.close()


def test_given_the_bad_input_table_when_loaded_then_each_case_is_stored_as_sent_or_dead_lettered_with_its_reason(
        settings, figures):
    cases = _cases()
    assert len(cases) >= 70
    allow_large_messages(settings, "daily_price", "board_post")
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                             max_request_size=8_000_000)
    origins = []
    for c in cases:
        meta = producer.send(topic_for(c.stream, settings.kafka_topic_prefix), key=c.key, value=c.payload).get(30)
        origins.append(f"{meta.topic}/{meta.partition}/{meta.offset}")
    sentinel = _price()
    meta = producer.send(topic_for("daily_price", settings.kafka_topic_prefix),
                         value=json.dumps(envelope("daily_price", sentinel)).encode()).get(30)
    producer.close()

    stats = Loader(settings, batch_seconds=0.5, decoders=2).run(until_idle=True, idle_seconds=1.0)

    copies = _dead_letter_copies(settings)
    failures: list[str] = []
    handled = 0
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute('SELECT topic || \'/\' || partition || \'/\' || "offset", reason FROM if_dead_letter')
        dead = dict(cur.fetchall())
        for c, origin in zip(cases, origins):
            if c.outcome == DEAD:
                reason = dead.get(origin)
                copy = copies.get(origin.encode())
                problem = (f"no dead letter row" if reason is None else
                           f"reason {reason[:200]!r} lacks {c.reason!r}" if c.reason not in reason else
                           "no copy on the dead_letter topic" if copy is None else
                           "the topic copy has another reason" if copy["reason"].decode() != reason else None)
            else:
                problem = "dead-lettered: " + dead[origin] if origin in dead else _stored_problem(cur, c)
            if problem:
                failures.append(f"{c.name}: {problem}")
            else:
                handled += 1
        cur.execute("SELECT count(*) FROM if_stock_daily_price WHERE trade_date = %s", (sentinel["trade_date"],))
        sentinel_loaded = cur.fetchone()[0] == 1
    figures.update(cases=len(cases), handled=handled, stored=sum(c.outcome == STORED for c in cases),
                   dead_lettered=sum(c.outcome == DEAD for c in cases), loader_dead_letters=stats.dead,
                   sentinel_loaded=sentinel_loaded, failures=failures)
    assert failures == []
    assert sentinel_loaded, "the loader did not go on after the bad input"
    assert stats.dead == sum(c.outcome == DEAD for c in cases)


def _stored_problem(cur, c: Case) -> str | None:
    spec = SPECS[c.stream]
    where = " AND ".join(f"{k} = %s" for k in spec.key)
    cur.execute(f"SELECT {', '.join(spec.columns)}, source, run_id FROM {spec.table} WHERE {where}",
                [c.record[k] for k in spec.key])
    rows = cur.fetchall()
    if len(rows) != 1:
        return f"{len(rows)} rows in {spec.table}"
    stored = dict(zip((*spec.columns, "source", "run_id"), rows[0]))
    sent = {name: c.record.get(name, MODELS[c.stream].model_fields[name].default) for name in spec.columns}
    sent |= {"source": "bad-input", "run_id": "r1"}
    differ = [f"{name}: stored {stored[name]!r:.80} sent {sent[name]!r:.80}" for name in stored
              if not _same(stored[name], sent[name])]
    return "; ".join(differ) or None

