"""Which bookmarks may be written yet: a bookmark set by a callback is *ready* once every record
yielded by that callback, and by every callback that started before it, reached the pipeline
(was handed to the publisher). Scrapy passes a callback's output to the pipeline through a queue
and runs several callbacks' outputs at once, so "the callback set the bookmark" does not mean
"its records were published"; this ledger closes that gap without relying on Scrapy's ordering.

Used by :class:`shared.crawling.middleware.BookmarkOrderMiddleware` (opens a batch per callback
output, counts its records, attaches the bookmarks set while it ran) and by
:class:`shared.crawling.pipeline.KafkaPipeline` (marks records handed over; at a checkpoint it
flushes the publisher, then writes :meth:`take_ready`).
"""
from __future__ import annotations

from collections.abc import Callable


class RecordBatch:
    """The records of one callback output, handed to the pipeline as one Scrapy item: Scrapy's
    per-item machinery (tasks, signals, the middleware chain) then runs once per page, not once
    per record."""

    __slots__ = ("records", "source")

    def __init__(self, records: list, source: str | None = None):
        self.records = records
        self.source = source  # the envelope source, when not the service's (a fallback page's records)

    def __len__(self) -> int:
        return len(self.records)


class DeliveryLedger:
    """Batches of records (one per callback output) and the bookmarks waiting on them."""

    def __init__(self):
        self._next = 0
        self._outstanding: dict[int, int] = {}   # open batch -> records not yet in the pipeline
        self._closed: set[int] = set()            # batches whose callback finished
        self._batch_of: dict[int, int] = {}       # id(record) -> batch
        self._waiting: list[tuple[int, dict[str, dict]]] = []
        self._ready: dict[str, dict] = {}
        #: called (no arguments) whenever bookmarks became ready
        self.on_ready: Callable[[], None] | None = None

    def open(self) -> int:
        """A new batch (a callback's output starts)."""
        batch = self._next
        self._next += 1
        self._outstanding[batch] = 0
        return batch

    def add(self, batch: int, record: object) -> None:
        """``record`` of ``batch`` is on its way to the pipeline."""
        self._outstanding[batch] += 1
        self._batch_of[id(record)] = batch

    def attach(self, batch: int, bookmarks: dict[str, dict]) -> None:
        """Bookmarks set while ``batch`` was produced wait for it and every earlier batch."""
        if bookmarks:
            self._waiting.append((batch, dict(bookmarks)))

    def close(self, batch: int) -> None:
        """The callback of ``batch`` yielded its last element."""
        self._closed.add(batch)
        self._settle()

    def handed_over(self, record: object) -> None:
        """The pipeline handed ``record`` to the publisher."""
        batch = self._batch_of.pop(id(record), None)
        if batch is not None:
            self._outstanding[batch] -= 1
            if self._outstanding[batch] == 0 and batch in self._closed:
                self._settle()

    def take_ready(self) -> dict[str, dict]:
        """The bookmarks whose records all reached the publisher (and forget them)."""
        ready, self._ready = self._ready, {}
        return ready

    @property
    def ready_count(self) -> int:
        """How many bookmarks are ready to be written."""
        return len(self._ready)

    @property
    def waiting(self) -> int:
        """How many bookmark sets still wait for records."""
        return len(self._waiting)

    def _settle(self) -> None:
        for batch in [b for b in self._closed if self._outstanding[b] == 0]:
            del self._outstanding[batch]
            self._closed.discard(batch)
        low = min(self._outstanding, default=self._next)  # every batch below it is complete
        keep, moved = [], False
        for batch, bookmarks in self._waiting:
            if batch < low:
                self._ready.update(bookmarks)
                moved = True
            else:
                keep.append((batch, bookmarks))
        self._waiting = keep
        if moved and self.on_ready is not None:
            self.on_ready()
