"""Kafka topics: one per stream, keyed by the natural key, plus the dead letter and bookmarks.

Topic names carry a prefix from the settings (``KAFKA_TOPIC_PREFIX``, default ``insertcoin.``),
so that tests and several environments can share one broker without touching each other.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.streams import DECLARED, STREAMS_BY_NAME

DEAD_LETTER = "dead_letter"
#: Crawl bookmarks (last post seen, last day fetched): compacted, so the newest per key survives.
BOOKMARKS = "bookmarks"


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    compacted: bool = False


def topic_for(stream: str, prefix: str = "insertcoin.") -> str:
    """The topic a stream's records (or the dead letter, or bookmarks) travel on."""
    if stream not in STREAMS_BY_NAME and stream not in (DEAD_LETTER, BOOKMARKS):
        raise KeyError(f"unknown stream {stream!r}")
    return prefix + stream


def all_topics(prefix: str = "insertcoin.") -> list[Topic]:
    """Every topic the fleet needs, with its partition count (shared/streams.py)."""
    topics = [Topic(topic_for(s.name, prefix), s.partitions, s.compacted) for s in DECLARED]
    topics.append(Topic(topic_for(DEAD_LETTER, prefix), 1))
    topics.append(Topic(topic_for(BOOKMARKS, prefix), 1, compacted=True))
    return topics
