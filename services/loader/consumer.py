"""The loader's loop: poll a batch, validate, write it in one transaction, commit the database,
then commit the Kafka offsets. A crash anywhere replays at most the batches in hand, and the upsert
makes a replay change nothing: every record ends in its table exactly once.

Validation is the loader's heaviest work and pure Python, so it runs in decoder processes (one
GIL each) while this process fetches and a thread writes; batches still reach the database, and
their offsets Kafka, strictly in the order they were polled."""
from __future__ import annotations

import logging
import math
import os
import signal
import time
from collections import defaultdict, deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from services.loader import dead_letter
from services.loader.decode import Decoded, decode_batch, start_decoder
from services.loader.pool import DecoderPool
from services.loader.retrying import TRANSIENT as _TRANSIENT_DB, db_retry
from services.loader.writer import BatchWriter, DeadLetter
from shared.broker import LOADER_GROUP, librdkafka_security_config, make_producer
from shared.streams import MODELS
from shared.settings import Settings
from shared.topics import DEAD_LETTER, topic_for

log = logging.getLogger(__name__)

GROUP_ID = LOADER_GROUP

Partition = tuple[str, int]  # (topic, partition): cheaper per message than a TopicPartition


@dataclass
class Batch:
    """One poll's worth of messages on its way: being decoded, then written, then committed."""

    messages: list[Message]
    decoded: Future            # of a Decoded: the valid rows per stream in COPY text, the refused
    streams: str | list[str]   # the stream of each message (or of all)
    offsets: dict[Partition, int]  # the last offset of each partition in the batch
    dead: list[DeadLetter] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # stream -> valid rows


def usable_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota (cgroup
    v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``; a Fargate task of 0.5 vCPU still sees the host's cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return cores
    if quota in ("max", "-1") or int(period) <= 0:
        return cores
    return max(1, min(cores, math.ceil(int(quota) / int(period))))


def default_decoders() -> int:
    """One decoder process per usable core (at most 4); none (decode in-process) on a single core."""
    cores = usable_cores()
    return 0 if cores < 2 else min(cores, 4)


@dataclass
class LoadStats:
    batches: int = 0
    messages: int = 0
    written: int = 0
    unchanged: int = 0
    dead: int = 0
    per_stream: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    assigned_at: float | None = None   # monotonic: the first partitions came (start-up is over)
    committed_at: float | None = None  # monotonic: the last batch's offsets were committed

    @property
    def loading_seconds(self) -> float | None:
        """From the first assignment to the last commit: the loading, without the process's start-up
        and the idle wait before it stops."""
        if self.assigned_at is None or self.committed_at is None:
            return None
        return self.committed_at - self.assigned_at


class Loader:
    """Consumes every stream topic into PostgreSQL. ``stop()`` (or SIGTERM/SIGINT) finishes the
    batch in hand, commits it and returns."""

    def __init__(self, settings: Settings, *, batch_size: int = 20_000, batch_seconds: float = 1.0,
                 group_id: str = GROUP_ID, streams: list[str] | None = None, decoders: int | None = None):
        self.settings = settings
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.decoders = default_decoders() if decoders is None else decoders
        self.streams = streams or list(MODELS)
        self.topic_stream = {topic_for(s, settings.kafka_topic_prefix): s for s in self.streams}
        self.dead_letter_topic = topic_for(DEAD_LETTER, settings.kafka_topic_prefix)
        # confluent-kafka (librdkafka): fetching and record unpacking run in C threads, about twice
        # the rate of kafka-python's pure-Python unpacking, which was the loader's largest cost.
        self.consumer = Consumer({
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": group_id,
            "client.id": "insertcoin-loader",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "max.poll.interval.ms": 600_000,
            # A member killed mid-batch holds its partitions until its session expires: 10 s (as
            # kafka-python had it), not librdkafka's 45 s, before a restarted loader gets them.
            "session.timeout.ms": 10_000,
            "heartbeat.interval.ms": 3_000,
            # Prefetch bounded to about one 50,000-message batch: memory stays constant however
            # far behind the loader is, and the fetcher still keeps ahead of the decoders.
            "fetch.max.bytes": 32 * 1024 * 1024,
            "max.partition.fetch.bytes": 8 * 1024 * 1024,
            "queued.max.messages.kbytes": 32 * 1024,
            "enable.partition.eof": True,  # a batch need not wait out its deadline at the end
            "fetch.wait.max.ms": 100,
            "logger": log,
            **librdkafka_security_config(settings),
        })
        self._assigned = False  # a rebalance has given this member its (possibly empty) share
        self._assignment: set[Partition] = set()
        self._at_end: set[Partition] = set()  # assigned partitions read to their end
        self.consumer.subscribe(list(self.topic_stream), on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        self._producer = None
        self.connection = None
        self.writer: BatchWriter | None = None
        self.stats = LoadStats()
        self._stopping = False
        self._uncommitted: dict[Partition, int] = {}

    # ------------------------------------------------------------------ lifecycle
    def stop(self, *_args) -> None:
        self._stopping = True

    def _on_assign(self, _consumer, partitions: list[TopicPartition]) -> None:
        self._assigned = True
        if self.stats.assigned_at is None:
            self.stats.assigned_at = time.monotonic()
        self._assignment = {(tp.topic, tp.partition) for tp in partitions}
        self._at_end.clear()
        log.info("partitions assigned", extra={"partitions": len(partitions)})

    def _on_revoke(self, _consumer, partitions: list[TopicPartition]) -> None:
        self._assigned = False
        self._assignment = set()
        self._at_end.clear()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _connect(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except psycopg2.Error:
                pass
        self.connection = psycopg2.connect(self.settings.database_url.get_secret_value(),
                                           application_name="insertcoin-loader")
        self.writer = BatchWriter(self.connection)

    def close(self) -> None:
        if self._uncommitted:
            self._commit_offsets()
        self.consumer.close()  # leaves the group; auto-commit is off, so it commits nothing
        if self._producer is not None:
            self._producer.close()
        if self.connection is not None:
            self.connection.close()

    # ------------------------------------------------------------------ the loop
    def run(self, *, until_idle: bool = False, idle_seconds: float = 3.0) -> LoadStats:
        """Load until stopped, or (``until_idle``) until every partition is caught up.

        Batches form a queue: the decoders validate the next ones while one thread writes the
        oldest to PostgreSQL (where psycopg2 releases the GIL). A batch's offsets are committed only
        after its database commit, and in polling order."""
        db_retry(self._connect)()
        log.info("loader started", extra={"decoders": self.decoders, "batch_size": self.batch_size})
        idle_since = time.monotonic()
        in_flight: deque[Future] = deque()  # batches written (or to be) in this order
        depth = self.decoders + 1           # a batch for each decoder and one being written
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer") as db, \
                self._decoder_pool() as decoders:
            try:
                while not self._stopping:
                    if in_flight and self._assignment and self._at_end >= self._assignment:
                        # Caught up: nothing left to read alongside, so the batches in hand are
                        # written and committed now rather than after the next (idle) poll.
                        while in_flight:
                            self._finish(in_flight.popleft().result())
                    messages = self._poll_batch()
                    if messages:
                        batch = self._submit(decoders, messages)
                        in_flight.append(db.submit(self._write, batch))
                        while len(in_flight) > depth or (in_flight and in_flight[0].done()):
                            self._finish(in_flight.popleft().result())
                        idle_since = time.monotonic()
                        continue
                    while in_flight:
                        self._finish(in_flight.popleft().result())
                    if self._uncommitted:
                        self._commit_offsets()
                    if until_idle and time.monotonic() - idle_since >= idle_seconds and self._caught_up():
                        break
                while in_flight:
                    self._finish(in_flight.popleft().result())
            finally:
                self.close()
        return self.stats

    def _decoder_pool(self) -> Executor:
        """The decoder processes, started now (while the group join is under way); they leave a
        Ctrl-C to this process. A decoder's death fails the run at once (see ``pool``)."""
        if not self.decoders:
            return _InProcess()
        return DecoderPool(self.decoders, initializer=start_decoder)

    def _submit(self, decoders: Executor, messages: list[Message]) -> Batch:
        keys = [m.key() for m in messages]
        values = [m.value() for m in messages]
        topics = [m.topic() for m in messages]
        # one name for a batch of one stream (the common case): less to send to the decoder
        streams = list(map(self.topic_stream.__getitem__, topics)) if len(set(topics)) > 1 \
            else self.topic_stream[topics[0]]
        # a partition's messages come in offset order: the last one of each stays
        offsets = {(topic, m.partition()): m.offset() for topic, m in zip(topics, messages)}
        return Batch(messages, decoders.submit(decode_batch, streams, keys, values), streams, offsets)

    def _poll_batch(self) -> list[Message]:
        """Up to ``batch_size`` messages: waits at most ``batch_seconds`` for a batch to fill, and
        not at all once every assigned partition is read to its end (the tail of a backlog, or a
        trickle, is written at once)."""
        batch: list[Message] = []
        at_end = self._at_end
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            polled = self.consumer.consume(self.batch_size - len(batch), timeout=min(remaining, 0.5))
            if not polled:
                if batch:
                    break
                continue
            for message in polled:
                error = message.error()
                if error is None:
                    batch.append(message)
                    if at_end:  # (empty while a backlog is read: no cost per message then)
                        at_end.discard((message.topic(), message.partition()))
                elif error.code() == KafkaError._PARTITION_EOF:
                    at_end.add((message.topic(), message.partition()))
                elif error.fatal():
                    raise KafkaException(error)
                else:  # e.g. a subscribed topic that does not exist yet: librdkafka retries
                    log.warning("consumer error", extra={"error": str(error)})
            if batch and self._assignment and at_end >= self._assignment:
                break
        return batch

    def _caught_up(self) -> bool:
        """Every partition of this member's share read to its end (an empty share counts, so that
        one of several workers with nothing to read can stop)."""
        if not self._assigned or self._uncommitted:
            return False
        positions = self.consumer.position(self.consumer.assignment())
        unread = [tp for tp in positions if tp.offset < 0]  # nothing consumed here yet
        committed = {(tp.topic, tp.partition): tp.offset
                     for tp in (self.consumer.committed(unread, timeout=10) if unread else [])}
        for tp in positions:
            # The watermarks of the last fetch response (librdkafka fetches all the time); a query
            # to the broker only where none came yet (each takes up to fetch.wait.max.ms).
            low, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if low < 0 or high < 0:
                low, high = self.consumer.get_watermark_offsets(tp, timeout=10, cached=False)
            position = tp.offset if tp.offset >= 0 else committed.get((tp.topic, tp.partition), -1)
            if max(position, low) < high:
                return False
        return True

    def _commit_offsets(self) -> None:
        """Commit what is in the database. During a rebalance the commit is refused: the offsets
        are kept for the next try, and whichever member owns the partitions next replays at most
        these batches, which the upsert turns into no change."""
        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        offsets = [TopicPartition(topic, partition, offset + 1)
                   for (topic, partition), offset in self._uncommitted.items() if (topic, partition) in assigned]
        if not offsets:
            self._uncommitted.clear()
            return
        try:
            refused = [tp for tp in self.consumer.commit(offsets=offsets, asynchronous=False) if tp.error]
            if refused:
                raise KafkaException(refused[0].error)
            self._uncommitted.clear()
        except KafkaException as exc:
            error = exc.args[0]
            if error.fatal():
                raise
            log.warning("offset commit refused (a rebalance?); will retry", extra={"error": str(error)})

    def _finish(self, batch: "Batch") -> None:
        """After the database commit: dead letters to their topic, then the offsets."""
        if batch.dead:
            self._publish_dead_letters(batch.dead)
        for tp, offset in batch.offsets.items():
            self._uncommitted[tp] = max(self._uncommitted.get(tp, -1), offset)
        self._commit_offsets()
        self.stats.committed_at = time.monotonic()
        self.stats.batches += 1
        self.stats.messages += len(batch.messages)
        self.stats.dead += len(batch.dead)
        for letter in batch.dead:
            log.warning("dead letter", extra={"stream": letter.stream, "key": letter.key_text,
                                              "reason": letter.reason_text, "topic": letter.topic,
                                              "offset": letter.offset, "truncated_copy": letter.truncated})
        log.info("batch loaded", extra={"messages": len(batch.messages), "dead": len(batch.dead),
                                        "streams": batch.rows})

    @db_retry
    def _write(self, batch: "Batch") -> "Batch":
        """One transaction for the whole batch; rows the database refuses join the dead letters."""
        decoded: Decoded = batch.decoded.result()
        batch.dead = [self._dead_letter(batch, index, reason) for index, reason in decoded.refused]
        written, unchanged, refused = self._write_decoded(decoded, batch)
        self.stats.written += written
        self.stats.unchanged += unchanged
        batch.rows = {stream: len(rows) for stream, rows in decoded.rows.items()}
        for stream, count in batch.rows.items():
            self.stats.per_stream[stream] += count
        batch.dead += refused
        return batch

    def _write_decoded(self, decoded: Decoded, batch: "Batch") -> tuple[int, int, list[DeadLetter]]:
        try:
            if self.connection is None or self.connection.closed:
                self._connect()
            refused: list[DeadLetter] = []
            written = unchanged = 0
            for stream, text in decoded.texts.items():
                result = self.writer.write(stream, text)
                written += result.written
                unchanged += result.unchanged
                rows = decoded.rows[stream]
                refused += [self._dead_letter(batch, rows[line], reason) for line, reason in result.refused]
            self.writer.dead_letters(batch.dead + refused)
            self.connection.commit()
        except _TRANSIENT_DB:
            self._connect()  # the next attempt starts on a fresh connection
            raise
        return written, unchanged, refused

    @staticmethod
    def _dead_letter(batch: "Batch", index: int, reason: str) -> DeadLetter:
        m = batch.messages[index]
        stream = batch.streams if isinstance(batch.streams, str) else batch.streams[index]
        return DeadLetter(m.topic(), m.partition(), m.offset(), stream, m.key(), m.value() or b"", reason)

    def _publish_dead_letters(self, dead: list[DeadLetter]) -> None:
        """Also put refused messages on the dead-letter topic, with the reason in a header (a long
        one cut, see ``dead_letter``)."""
        if self._producer is None:
            self._producer = make_producer(self.settings)
        dead_letter.publish(self._producer, self.dead_letter_topic, dead)


class _InProcess(Executor):
    """Decoding in this process (one core): the work is done at submit time."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            future.set_exception(exc)
        return future
