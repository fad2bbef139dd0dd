"""The backbone: the real stack starts, a record round-trips through Kafka, PostgreSQL answers."""
import datetime as dt
import uuid

import psycopg2
import pytest
from kafka import KafkaConsumer

from shared.broker import Publisher, list_topics
from shared.records import DailyPrice, Envelope
from shared.streams import STREAMS_BY_NAME
from shared.topics import all_topics

pytestmark = pytest.mark.integration


def test_given_stack_up_when_status_then_every_fleet_topic_exists_with_its_partitions(stack_env, topic_prefix):
    topics = list_topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"])
    for topic in all_topics(topic_prefix):
        assert topics.get(topic.name) == topic.partitions, topic.name
    assert topics[topic_prefix + "daily_price"] == STREAMS_BY_NAME["daily_price"].partitions


def test_given_a_published_record_when_consumed_then_the_same_envelope_comes_back(settings):
    record = DailyPrice(code="005930", trade_date=dt.date(2026, 9, 29), open=266000, high=276000,
                        low=266000, close=273500, volume=15498961, foreign_ratio=46.52)
    run_id = uuid.uuid4().hex
    publisher = Publisher(settings, source="test", run_id=run_id)
    publisher.publish(record)
    publisher.close()

    consumer = KafkaConsumer(settings.kafka_topic_prefix + "daily_price",
                             bootstrap_servers=settings.kafka_bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=10000,
                             group_id=f"g-{run_id}")
    messages = [m for m in consumer]
    consumer.close()
    assert len(messages) == 1
    assert messages[0].key == b"005930|2026-09-29"
    envelope = Envelope.model_validate_json(messages[0].value)
    assert envelope.run_id == run_id and envelope.open() == record


def test_given_stack_up_when_queried_then_postgres_answers_with_the_migrated_schema(database):
    with psycopg2.connect(database["analyst"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT medium FROM m_medium ORDER BY medium")
        assert [r[0] for r in cur.fetchall()] == ["board", "disclosure", "fear_greed", "financial", "fx", "news"]


def test_given_roles_when_analyst_writes_or_loader_drops_then_postgres_refuses(database):
    with psycopg2.connect(database["analyst"]) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("INSERT INTO m_sector (sector_code, name, source, run_id, extracted_at) "
                        "VALUES ('1', 'x', 's', 'r', now())")
    with psycopg2.connect(database["loader"]) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DROP TABLE if_stock_daily_price")


def test_given_random_bytes_that_encode_with_a_leading_dash_when_making_a_cluster_id_then_none_starts_with_one(
        monkeypatch):
    from shared import stack

    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=bytes(16))])  # "-AAA...", then "AAAA..."
    monkeypatch.setattr(stack.uuid, "uuid4", lambda: next(draws))
    cid = stack.cluster_id()
    assert cid == "A" * 22 and len(cid) == 22
