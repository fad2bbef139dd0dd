"""Refused messages: their row in ``if_dead_letter`` and their copy on the ``dead_letter`` topic.

A dead letter must never fail for what it carries: the message key and the reason are stored as
text with NUL and undecodable bytes escaped (``\\x00``); the payload is stored as it came (bytea).
The topic copy carries the original key bytes and, up to ``TOPIC_PAYLOAD_MAX`` bytes, the whole
payload; a longer payload (the topic's messages are limited to about 1 MB) goes as its first
``TOPIC_PAYLOAD_MAX`` bytes with the headers ``truncated: 1``, ``payload_bytes`` and
``payload_sha256`` (of the whole original). The table row holds the whole payload and says the
same (``topic_truncated``, ``payload_bytes``, ``payload_sha256``), so the topic copy of a long
message can always be matched to its complete body.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import psycopg2
import psycopg2.extras

#: The payload bytes a dead letter's topic copy carries at most (the broker's and the producer's
#: default message limit is 1 MiB; headers and framing need the rest).
TOPIC_PAYLOAD_MAX = 900_000
#: The longest reason kept (a database error can quote a whole value).
REASON_MAX = 2_000


def printable(value: bytes | str | None, limit: int | None = None) -> str | None:
    """Text safe for a PostgreSQL text column and a log line: invalid UTF-8, lone surrogates and
    NUL written as backslash escapes; cut to ``limit`` characters with a note of the length."""
    if value is None:
        return None
    if isinstance(value, bytes):
        text = value.decode("utf-8", "backslashreplace")
    else:
        text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    text = text.replace("\x00", "\\x00")
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} characters)"
    return text


@dataclass
class DeadLetter:
    """One refused message, where it came from, and why."""

    topic: str
    partition: int
    offset: int
    stream: str | None
    key: bytes | None   # the message key as it came
    payload: bytes
    reason: str

    @cached_property
    def key_text(self) -> str | None:
        return printable(self.key)

    @cached_property
    def reason_text(self) -> str:
        return printable(self.reason, REASON_MAX)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    @property
    def truncated(self) -> bool:
        """The topic copy holds only the first ``TOPIC_PAYLOAD_MAX`` bytes of the payload."""
        return len(self.payload) > TOPIC_PAYLOAD_MAX

    def topic_message(self) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        """(key, value, headers) of the copy on the ``dead_letter`` topic."""
        headers = [("reason", self.reason_text.encode()), ("stream", (self.stream or "").encode()),
                   ("origin", f"{self.topic}/{self.partition}/{self.offset}".encode())]
        value = self.payload
        if self.truncated:
            value = self.payload[:TOPIC_PAYLOAD_MAX]
            headers += [("truncated", b"1"), ("payload_bytes", str(len(self.payload)).encode()),
                        ("payload_sha256", self.sha256.encode())]
        return self.key or b"", value, headers


def store(connection, letters: Sequence[DeadLetter]) -> None:
    """Insert refused messages in the caller's transaction; the same message (topic, partition,
    offset) is stored once."""
    if not letters:
        return
    with connection.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            'INSERT INTO if_dead_letter (topic, partition, "offset", stream, key, payload, reason, '
            'payload_bytes, payload_sha256, topic_truncated) '
            'VALUES %s ON CONFLICT (topic, partition, "offset") DO NOTHING',
            [(d.topic, d.partition, d.offset, d.stream, d.key_text, psycopg2.Binary(d.payload),
              d.reason_text, len(d.payload), d.sha256, d.truncated) for d in letters])


def publish(producer, topic: str, letters: Sequence[DeadLetter], timeout: float = 60.0) -> None:
    """Put the dead letters on their topic and wait for every acknowledgement: a copy the broker
    did not take raises (the loader stops before committing the offsets, and a restart sends
    them again), it is never dropped silently."""
    futures = []
    for letter in letters:
        key, value, headers = letter.topic_message()
        futures.append(producer.send(topic, key=key, value=value, headers=headers))
    producer.flush(timeout=timeout)
    for future in futures:
        future.get(timeout=timeout)
