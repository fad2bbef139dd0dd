"""Bookmark cursors: what earlier runs of a crawler covered, in one of a few shapes, named in the
crawler's declaration (:mod:`shared.crawlers`). The base spider builds its cursor at the start of
a run, skips the units it ``covers`` and calls ``finish(unit)`` once every page of a unit was parsed
without a failed page; a unit with a failed page moves no bookmark. A spider never builds a key:
it asks its cursor what is left to fetch and tells it what it saw.

- :class:`DayDone`: one unit per day; a settled day is done and not fetched again (news, fx,
  disclosure).
- :class:`CoveredRange`: per unit, the [first, last] range of sessions fetched without a hole
  (stockreport).
- :class:`NewestItem`: per unit, the newest item id delivered and the day its coverage starts
  (stockdebate).
- :class:`NewestDay`: one series, the newest day delivered (fear-greed).

Keys are ``<service>:<unit>`` (``<service>:last`` for a series). Values are JSON objects; their
shapes are the ones earlier runs wrote, so existing bookmarks keep working.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from shared.crawling.days import krx_sessions

DAY = dt.timedelta(days=1)


class Cursor:
    """The bookmarks of one run of a spider (its ``service``, ``plan``, ``bookmarks``, ``run_id``)."""

    def __init__(self, spider):
        self.service, self.plan, self.bookmarks, self.run_id = (spider.service, spider.plan, spider.bookmarks,
                                                                spider.run_id)

    def key(self, unit: str) -> str:
        return f"{self.service}:{unit}"

    def stored(self, unit: str) -> dict | None:
        """What earlier runs left for ``unit`` (read even under ``--force``: a forced run refetches,
        but the coverage it extends is still the stored one)."""
        return self.bookmarks.get(self.key(unit))

    def covers(self, unit: str) -> bool:
        """Is there nothing to fetch for ``unit``? (The base spider skips it.)"""
        return False

    def finish(self, unit: str) -> None:
        """Every page of ``unit`` was parsed: move its bookmark."""
        raise NotImplementedError

    def _move(self, unit: str, value: dict | None) -> None:
        if value is not None and value != self.stored(unit):
            self.bookmarks.set(self.key(unit), value)


# -- one unit per day ---------------------------------------------------------------------------
class DayDone(Cursor):
    """One unit per day (``YYYYMMDD``): a day crawled ``settle_days`` or more after it (1: any day
    before today, whose data no longer grows) is bookmarked ``{"done": true, "run_id", ...}`` once
    every page of it was parsed, and not fetched again unless ``--force``. A spider may add counts
    to a day's bookmark with :meth:`note`. A crawler declares a longer wait with
    ``DayDone.settling(n)``."""

    settle_days = 1

    def __init__(self, spider, settle_days: int | None = None):
        super().__init__(spider)
        self.settle_days = self.settle_days if settle_days is None else settle_days
        self.notes: dict[str, dict] = {}

    @classmethod
    def settling(cls, days: int) -> Callable:
        """The cursor of days that keep growing for ``days`` days (e.g. late filings)."""
        return partial(cls, settle_days=days)

    def settled(self, unit: str) -> bool:
        day = dt.datetime.strptime(unit, "%Y%m%d").date()
        return (self.plan.day() - day).days >= self.settle_days

    def covers(self, unit: str) -> bool:
        mark = self.stored(unit) or {}
        return not self.plan.force and bool(mark.get("done") or mark.get("complete"))  # "complete": older runs

    def note(self, unit: str, **counts) -> None:
        self.notes.setdefault(unit, {}).update(counts)

    def finish(self, unit: str) -> None:
        if self.settled(unit):
            self._move(unit, {"done": True, "run_id": self.run_id, **self.notes.get(unit, {})})


# -- per unit, a range of sessions ----------------------------------------------------------------
class CoveredRange(Cursor):
    """Per unit (a stock), ``{first, last}``: every session in between was fetched. The spider
    asks :meth:`missing` for the one range to fetch and reports it with :meth:`fetched`; at
    :meth:`finish` the range joins the coverage when the two touch (no session between them), else
    the newer of the two is kept, so a bookmark never claims a hole. A covered last day that is
    today counts as missing again (a close can still move). ``sessions``: the exchange calendar."""

    def __init__(self, spider, history: dt.timedelta = dt.timedelta(days=365),
                 sessions: Callable[[dt.date, dt.date], list[dt.date]] = krx_sessions):
        super().__init__(spider)
        self.history, self.sessions = history, sessions   # history: how far back without a bookmark or --from
        self.ranges: dict[str, tuple[str, str]] = {}

    def missing(self, unit: str) -> tuple[dt.date, dt.date] | None:
        """The one [start, end] range of sessions to fetch for ``unit``, or None."""
        plan, covered = self.plan, self.stored(unit)
        today = plan.day()
        want_to = min(plan.last or today, today)
        if plan.first:
            want_from = plan.first
        elif covered:
            want_from = dt.date.fromisoformat(covered["last"])
        else:
            want_from = want_to - self.history
        pieces = [(want_from, want_to)]
        if covered and not plan.force:
            first, last = dt.date.fromisoformat(covered["first"]), dt.date.fromisoformat(covered["last"])
            settled = last if last < today else last - DAY
            pieces = []
            if want_from < first:
                pieces.append((want_from, min(first - DAY, want_to)))
            if want_to > settled:
                pieces.append((max(settled + DAY, want_from), want_to))
        days = [d for lo, hi in pieces for d in self.sessions(lo, hi)]
        return (min(days), max(days)) if days else None

    def fetched(self, unit: str, start: str, end: str) -> None:
        """The sessions [start, end] (ISO days) of ``unit`` were fetched (recorded at finish)."""
        self.ranges[unit] = (start, end)

    def merged(self, covered: dict | None, start: str, end: str) -> dict:
        """The coverage after fetching [start, end]."""
        if not covered:
            return {"first": start, "last": end}
        first, last = covered["first"], covered["last"]
        if start > last:
            gap = self.sessions(dt.date.fromisoformat(last) + DAY, dt.date.fromisoformat(start) - DAY)
        elif end < first:
            gap = self.sessions(dt.date.fromisoformat(end) + DAY, dt.date.fromisoformat(first) - DAY)
        else:
            gap = []
        if gap:
            return {"first": start, "last": end} if end > last else covered
        return {"first": min(start, first), "last": max(end, last)}

    def finish(self, unit: str) -> None:
        if unit in self.ranges:
            self._move(unit, self.merged(self.stored(unit), *self.ranges[unit]))


# -- per unit, the newest item --------------------------------------------------------------------
class NewestItem(Cursor):
    """Per unit (a board), ``{newest, since}``: every item with an id up to ``newest`` posted on or
    after ``since`` was delivered (``since`` is missing in bookmarks of older runs). Items come
    newest first; the spider asks :meth:`seen`, :meth:`stops_at_seen` and :meth:`oldest_day`, and
    reports each item it delivers with :meth:`saw` and a stop at a covered item with :meth:`join`.
    ``lookback``: how far back a unit without a bookmark or ``--from`` is read."""

    def __init__(self, spider, lookback: dt.timedelta = dt.timedelta(days=7)):
        super().__init__(spider)
        self.lookback = lookback
        self.newest: dict[str, int] = {}
        self.joined: set[str] = set()

    def mark(self, unit: str) -> dict | None:
        return None if self.plan.force else self.stored(unit)

    def seen(self, unit: str) -> int | None:
        """The newest id an earlier run delivered (None: none, or ``--force``)."""
        mark = self.mark(unit)
        return int(mark["newest"]) if mark else None

    def since(self, unit: str) -> dt.date | None:
        mark = self.mark(unit)
        return dt.date.fromisoformat(mark["since"]) if mark and mark.get("since") else None

    def stops_at_seen(self, unit: str) -> bool:
        """May paging stop at the first item the bookmark covers? On a daily run, or when the asked
        range starts on or after the day the bookmark's coverage starts."""
        if self.mark(unit) is None:
            return False
        since = self.since(unit)
        return self.plan.first is None or (since is not None and self.plan.first >= since)

    def oldest_day(self, unit: str) -> dt.date | None:
        """Items before this day are not wanted (None: no limit, the bookmark's item stops paging)."""
        if self.plan.first:
            return self.plan.first
        return None if self.mark(unit) else self.plan.day() - self.lookback

    def saw(self, unit: str, item_id: int) -> None:
        self.newest[unit] = max(self.newest.get(unit, 0), item_id)

    def join(self, unit: str) -> None:
        """Paging of ``unit`` stopped at an item the bookmark covers."""
        self.joined.add(unit)

    def next_mark(self, unit: str) -> dict | None:
        """The bookmark of ``unit`` after this run read it completely (None: keep the old one)."""
        plan, mark = self.plan, self.mark(unit)
        today = plan.day()
        old_newest = int(mark["newest"]) if mark else 0
        old_since = self.since(unit)
        if plan.last is not None and plan.last < today:
            # A past window covers [first, last] only: it extends the coverage back when it touches it.
            if plan.first and old_since and plan.first < old_since and plan.last >= old_since - DAY:
                return {"newest": str(old_newest), "since": plan.first.isoformat()}
            return None
        top = max(old_newest, self.newest.get(unit, 0))
        if not top:
            return None
        if plan.first is None:  # a daily run: from the bookmark on, or the default look-back
            since = old_since if mark else today - self.lookback
        elif unit in self.joined:
            since = min(plan.first, old_since) if old_since else plan.first
        else:
            since = plan.first
        return {"newest": str(top), "since": since.isoformat() if since else None}

    def finish(self, unit: str) -> None:
        self._move(unit, self.next_mark(unit))


# -- one series, the newest day ------------------------------------------------------------------
class NewestDay(Cursor):
    """One series (a market index) under ``<service>:last`` = ``{"day"}``: the newest day delivered.
    The next run asks from that day on (:meth:`since`, None under ``--force``: the source's
    default); the spider reports delivered days with :meth:`saw`."""

    def __init__(self, spider):
        super().__init__(spider)
        self.latest: str | None = None

    def key(self, unit: str) -> str:
        return f"{self.service}:last"

    def since(self, unit: str) -> str | None:
        return None if self.plan.force else (self.stored(unit) or {}).get("day")

    def saw(self, day: dt.date) -> None:
        self.latest = max(self.latest or "", day.isoformat())

    def finish(self, unit: str) -> None:
        if self.latest:  # a past window (--from/--to) never moves the series' newest day back
            self._move(unit, {"day": max(self.latest, (self.stored(unit) or {}).get("day") or "")})
