"""A progress bar for backfills, shown only in a terminal (``CRAWL_PROGRESS=auto``)."""
from __future__ import annotations

import sys


class UnitProgress:
    """Counts finished units (stocks, days) of a run; a rich bar on stderr when it is a terminal."""

    def __init__(self, description: str, total: int, mode: str = "auto"):
        self.total = total
        self.done = 0
        show = mode == "on" or (mode == "auto" and sys.stderr.isatty())
        self._bar = None
        if show and total > 1:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)
            from rich.console import Console
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            self._task = self._bar.add_task(description, total=total)
            self._bar.start()

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
