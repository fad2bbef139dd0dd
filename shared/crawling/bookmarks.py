"""Bookmarks for incremental runs, kept in the compacted Kafka topic ``bookmarks`` (no database
credentials needed): key ``<service>:<scope>`` (e.g. ``stockdebate:005930``), value a JSON object.
Read whole at the start of a run; changed keys are written during the run at each checkpoint
(every few finished units) and at its end, each time only after the records sent before it were
delivered (see :class:`shared.crawling.pipeline.KafkaPipeline`), so a killed backfill resumes
where its last checkpoint left it.
"""
from __future__ import annotations

import time

import orjson
from kafka import KafkaConsumer, TopicPartition

from shared.broker import security_config
from shared.errors import EXIT_USAGE, UserError
from shared.settings import Settings
from shared.topics import BOOKMARKS, topic_for

#: Where the stockcode crawl leaves the listing it learned: code -> security type.
LISTING_KEY = "stockcode:listing"


class Bookmarks:
    """The bookmarks of a run: what was read at the start, and what the run changed and has not
    written yet."""

    def __init__(self, values: dict[str, dict] | None = None):
        self.values: dict[str, dict] = dict(values or {})
        self.unwritten: dict[str, dict] = {}

    def get(self, key: str) -> dict | None:
        return self.values.get(key)

    def set(self, key: str, value: dict) -> None:
        """Change a bookmark. Call it only once the unit's records were handed to the pipeline:
        it is written at the next checkpoint, after those records are delivered."""
        self.values[key] = value
        self.unwritten[key] = value

    def take_unwritten(self) -> dict[str, dict]:
        """The bookmarks changed since the last call (to be written now), oldest first."""
        taken, self.unwritten = self.unwritten, {}
        return taken


def read_bookmarks(settings: Settings, timeout: float = 20.0) -> Bookmarks:
    """Every bookmark in the topic (the newest value per key)."""
    topic = topic_for(BOOKMARKS, settings.kafka_topic_prefix)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                             request_timeout_ms=15000, **security_config(settings))
    try:
        if topic not in consumer.topics():  # a full metadata answer: the topic is not there
            raise UserError(f"the bookmark topic {topic} does not exist (KAFKA_TOPIC_PREFIX="
                            f"{settings.kafka_topic_prefix!r}): run `insertcoin topics` to create the fleet's "
                            "topics, or fix the prefix", EXIT_USAGE)
        partitions = consumer.partitions_for_topic(topic) or ()
        deadline = time.monotonic() + timeout
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        values: dict[str, dict] = {}
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise RuntimeError(f"reading bookmarks from {topic} took longer than {timeout:.0f}s")
            for messages in consumer.poll(timeout_ms=500).values():
                for message in messages:
                    key = message.key.decode()
                    if message.value is None:
                        values.pop(key, None)
                    else:
                        values[key] = orjson.loads(message.value)
        return Bookmarks(values)
    finally:
        consumer.close()


def send_bookmarks(producer, settings: Settings, changed: dict[str, dict]) -> int:
    """Queue the changed bookmarks on ``producer`` (the caller flushes); returns how many."""
    topic = topic_for(BOOKMARKS, settings.kafka_topic_prefix)
    for key, value in changed.items():
        producer.send(topic, key=key.encode(), value=orjson.dumps(value))
    return len(changed)
