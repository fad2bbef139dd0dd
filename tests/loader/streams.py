"""Producing test traffic: contract records made to order, sent raw for speed."""
from __future__ import annotations

import datetime as dt
import time

from kafka import KafkaProducer

from shared.records import DailyPrice, Envelope
from shared.topics import topic_for

START = dt.date(2020, 1, 1)


def daily_price(i: int, *, close: float | None = None) -> DailyPrice:
    """The i-th of a family of distinct prices: code and day both derived from i."""
    code = f"{i % 2500:06d}"
    day = START + dt.timedelta(days=i // 2500)
    base = 1000 + (i % 977)
    return DailyPrice(code=code, trade_date=day, open=base, high=base * 1.05, low=base * 0.95,
                      close=close if close is not None else base * 1.01, volume=i % 100_000,
                      foreign_ratio=12.5)


EXTRACTED_AT = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)


def envelope_bytes(record, run_id: str = "test-run", extracted_at: dt.datetime = EXTRACTED_AT,
                   source: str = "test") -> tuple[bytes, bytes]:
    envelope = Envelope.wrap(record, source=source, run_id=run_id, extracted_at=extracted_at)
    return envelope.key.encode(), envelope.model_dump_json().encode()


def produce(settings, messages, stream: str = "daily_price", **config) -> None:
    """Send (key, value) pairs to a stream's topic and wait for every acknowledgement."""
    producer = KafkaProducer(**{"bootstrap_servers": settings.kafka_bootstrap_servers, "acks": "all",
                                "linger_ms": 20, "batch_size": 512 * 1024, **config})
    topic = topic_for(stream, settings.kafka_topic_prefix)
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def allow_large_messages(settings, *streams: str, size: int = 8_000_000) -> None:
    """Let these streams' topics take messages of ``size`` bytes (the broker's default is 1 MiB),
    and wait until the broker applies it."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

    topics = [topic_for(s, settings.kafka_topic_prefix) for s in streams]
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs={"max.message.bytes": str(size)})
                             for t in topics])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
            values = [dict((c[0], c[1]) for c in r.resources[0][4]).get("max.message.bytes") for r in described]
            if all(v == str(size) for v in values):
                break
            time.sleep(0.2)
    finally:
        admin.close()
    time.sleep(1.0)  # the partition leaders read the topic config a moment after the controller
