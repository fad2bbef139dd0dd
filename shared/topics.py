"""Kafka topics: one per stream, keyed by the natural key, plus the dead letter and bookmarks."""
from __future__ import annotations

from dataclasses import dataclass

from shared.records import STREAMS

PREFIX = "insertcoin."


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    compacted: bool = False


#: Partition counts follow volume: prices and posts are per stock per day, the rest is small.
_PARTITIONS = {"daily_price": 6, "board_post": 6, "financial_statement": 3, "stock_listing": 3,
               "stock_valuation": 3, "news_rank": 3}

STREAM_TOPICS: dict[str, Topic] = {
    stream: Topic(PREFIX + stream, _PARTITIONS.get(stream, 1)) for stream in STREAMS
}
DEAD_LETTER = Topic(PREFIX + "dead_letter", 1)
#: Crawl bookmarks (last post seen, last day fetched): compacted, so the newest per key survives.
BOOKMARKS = Topic(PREFIX + "bookmarks", 1, compacted=True)

ALL_TOPICS: tuple[Topic, ...] = (*STREAM_TOPICS.values(), DEAD_LETTER, BOOKMARKS)


def topic_for(stream: str) -> str:
    """The topic a stream's records travel on."""
    return STREAM_TOPICS[stream].name
