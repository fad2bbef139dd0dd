"""Kafka plumbing written once: topics, the idempotent publisher, consumers."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson

from shared.records import UTC, Record
from shared.settings import Settings
from shared.topics import Topic, all_topics, topic_for

if TYPE_CHECKING:
    from kafka import KafkaProducer

# kafka-python is imported where it is used: it takes a tenth of a second, and the loader (a
# librdkafka consumer) only needs it for its first dead letter.

log = logging.getLogger(__name__)


def security_config(settings: Settings | None) -> dict:
    if settings is None or settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    extra = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol.startswith("SASL"):
        extra["sasl_mechanism"] = settings.kafka_sasl_mechanism
    return extra


def librdkafka_security_config(settings: Settings | None) -> dict:
    """The same security settings for a confluent-kafka (librdkafka) client, i.e. the loader's consumer.

    librdkafka has no AWS_MSK_IAM mechanism: MSK IAM goes over OAUTHBEARER, with a token signed by
    ``aws-msk-iam-sasl-signer-python`` (botocore credentials, here the task role) in ``oauth_cb``."""
    if settings is None or settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    extra: dict = {"security.protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol.endswith("SSL"):
        extra["ssl.ca.location"] = "probe"  # the system's CA bundle (MSK's are Amazon's public CAs)
    if not settings.kafka_security_protocol.startswith("SASL"):
        return extra
    if settings.kafka_sasl_mechanism == "AWS_MSK_IAM":
        extra |= {"sasl.mechanisms": "OAUTHBEARER", "oauth_cb": _msk_iam_token}
    else:
        extra["sasl.mechanisms"] = settings.kafka_sasl_mechanism
    return extra


def _msk_iam_token(_config: str | None) -> tuple[str, float]:
    """librdkafka's OAUTHBEARER callback: a signed MSK IAM token and its expiry (epoch seconds)."""
    import os

    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise RuntimeError("MSK IAM auth needs AWS_REGION or AWS_DEFAULT_REGION to sign its token")
    token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
    return token, expiry_ms / 1000


LOADER_GROUP = "insertcoin-loader"   # the loader's consumer group (services/loader/consumer.py)


def loader_lag(bootstrap: str, prefix: str, streams: Iterable[str], **security) -> int:
    """Records on the topics of ``streams`` that the loader's consumer group has not committed:
    0 once the loader has written everything published to them so far."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    topics = [topic_for(stream, prefix) for stream in streams]
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, **security)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **security)
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(parts)
        committed = admin.list_consumer_group_offsets(LOADER_GROUP)
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


def wait_for_broker(bootstrap: str, timeout: float = 60.0, **security) -> None:
    """Block until the broker answers a metadata request; raise ``Unreachable`` after ``timeout``
    seconds. The client's own error lines while it waits stay out of the log."""
    from kafka.admin import KafkaAdminClient

    from shared.errors import Unreachable, wait_for_kafka

    wait_for_kafka(bootstrap, timeout)  # nothing listens at all: say so now, not after a minute
    deadline = time.monotonic() + timeout
    client_log = logging.getLogger("kafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        while True:
            try:
                admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **security)
                admin.list_topics()
                admin.close()
                return
            except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
                if time.monotonic() > deadline:
                    raise Unreachable("Kafka", bootstrap, f"{type(exc).__name__}: {exc}") from None
                time.sleep(0.3)
    finally:
        client_log.setLevel(level)


def ensure_topics(bootstrap: str, prefix: str = "insertcoin.",
                  topics: Iterable[Topic] | None = None, replication: int = 1, **security) -> list[str]:
    """Create the fleet's topics that do not exist yet; returns the names created."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    wanted = list(topics) if topics is not None else all_topics(prefix)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000, **security)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t.name, t.partitions, replication,
                        topic_configs={"cleanup.policy": "compact"} if t.compacted else {})
               for t in wanted if t.name not in existing]
        if new:
            try:
                admin.create_topics(new, timeout_ms=30000)
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in new]
    finally:
        admin.close()


def delete_topics(bootstrap: str, prefix: str, **security) -> list[str]:
    """Delete every topic under ``prefix`` (a test's or a bench's own); returns their names."""
    from kafka.admin import KafkaAdminClient

    if not prefix or prefix == "insertcoin.":
        raise ValueError(f"refusing to delete the topics under {prefix!r}: only a scratch prefix")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000, **security)
    try:
        doomed = [name for name in admin.list_topics() if name.startswith(prefix)]
        if doomed:
            admin.delete_topics(doomed, timeout_ms=30000)
        return doomed
    finally:
        admin.close()


def list_topics(bootstrap: str) -> dict[str, int]:
    """Topic name -> partition count (internal topics left out)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10000, enable_auto_commit=False)
    try:
        return {t: len(consumer.partitions_for_topic(t) or ())
                for t in consumer.topics() if not t.startswith("__")}
    finally:
        consumer.close()


def make_producer(settings: Settings, **overrides) -> KafkaProducer:
    """An idempotent producer with acks=all: a retried send is never written twice."""
    from kafka import KafkaProducer

    config = dict(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        batch_size=256 * 1024,
        # kafka-python keeps idempotence (no duplicates, no reordering) only with one request in flight.
        max_in_flight_requests_per_connection=1,
        retries=2**31 - 1,
        **security_config(settings),
    )
    config.update(overrides)
    return KafkaProducer(**config)


# --------------------------------------------------------------------------- publishing
# The envelope JSON is assembled around the record's own pydantic JSON (no intermediate dict, no
# second validation): byte for byte what ``Envelope.wrap(record, ...).model_dump_json()`` gives
# (tests/crawl/test_plumbing.py), at crawl speed.
def envelope_json(record: Record, head: bytes, extracted_at: dt.datetime | None = None) -> bytes:
    """The envelope of ``record`` as JSON; ``head`` is :func:`envelope_head` of its source and run."""
    stamp = orjson.dumps(extracted_at or dt.datetime.now(UTC), option=orjson.OPT_UTC_Z)
    return b"".join((b'{"stream":"', record.stream.encode(), b'","schema_version":',
                     str(record.schema_version).encode(), b',"key":', orjson.dumps(record.key()), head,
                     b',"extracted_at":', stamp, b',"record":', record.__pydantic_serializer__.to_json(record),
                     b"}"))


def envelope_head(source: str, run_id: str) -> bytes:
    """The envelope fields shared by every record of a run."""
    return b',"source":' + orjson.dumps(source) + b',"run_id":' + orjson.dumps(run_id)


class Publisher:
    """Sends records to their stream's topic keyed by the natural key (acks=all, idempotent), as
    envelopes assembled by :func:`envelope_json`; delivery failures are counted by a callback, not
    kept as a future per record. ``flush()`` (``close()`` does it) raises once any send failed, so
    a run never claims records it did not deliver."""

    def __init__(self, settings: Settings, *, source: str, run_id: str, producer=None):
        self.producer = producer or make_producer(settings)
        self.prefix = settings.kafka_topic_prefix
        self.head = envelope_head(source, run_id)
        self.run_id = run_id
        self._heads: dict[str, bytes] = {}
        self.failed = 0
        self.first_failure: BaseException | None = None
        self._topics: dict[str, str] = {}

    def publish(self, record: Record, source: str | None = None) -> None:
        """Send one record; ``source`` overrides the publisher's envelope source for it."""
        head = self.head
        if source is not None:
            head = self._heads.get(source) or self._heads.setdefault(source, envelope_head(source, self.run_id))
        topic = self._topics.get(record.stream)
        if topic is None:
            topic = self._topics[record.stream] = topic_for(record.stream, self.prefix)
        future = self.producer.send(topic, key=record.key().encode(), value=envelope_json(record, head))
        future.add_errback(self._on_failure)

    def _on_failure(self, error: BaseException) -> None:  # runs on the producer's I/O thread
        self.failed += 1
        self.first_failure = self.first_failure or error

    def flush(self) -> None:
        """Wait until every record sent so far is acknowledged; raise if any was not."""
        self.producer.flush()
        if self.failed:
            raise RuntimeError(f"{self.failed} records were not delivered: {self.first_failure!r}")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.producer.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``insertcoin topics``: create the missing fleet topics on KAFKA_BOOTSTRAP_SERVERS."""
    from shared.errors import DEFAULT_WAIT

    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help="seconds the broker may take to answer (default: %(default)s)")
    parser.add_argument("--replication-factor", type=int, default=1,
                        help="replicas per partition, 1 locally, 2-3 on Amazon MSK (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from shared.settings import get_settings

    settings = get_settings()
    wait_for_broker(settings.kafka_bootstrap_servers, timeout=args.wait, **security_config(settings))
    created = ensure_topics(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix,
                            replication=args.replication_factor, **security_config(settings))
    print(f"topics created: {', '.join(created) or 'none (all present)'}")
    return 0
