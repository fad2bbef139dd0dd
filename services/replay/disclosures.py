"""When simulated statements and consensus estimates become public: each company's quarterly and
annual actuals get a publication time (KST), each consensus estimate column a history of revisions.

The finance pages show, at a clock time, the last 3 published years + the next year's estimate and
the last 5 published quarters + the next quarter's estimate, as Naver does. A statement is visible
from its ``published_at``; an estimate column shows its latest revision at or before the clock.
Times are naive KST ``YYYY-MM-DDTHH:MM:SS`` strings (they sort as they compare).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import numpy as np
import orjson

from services.replay.financials import period_values

KST_SUFFIX = "+09:00"
#: a day's disclosure hours (KST): before the open, during the session, after the close
HOURS = ((dt.time(7, 30), dt.time(9, 0), 0.15), (dt.time(9, 0), dt.time(15, 30), 0.5),
         (dt.time(15, 30), dt.time(18, 0), 0.35))
REVISIONS_PER_DAY = {"quarter": 1 / 45, "annual": 1 / 60}
SHOWN = {"annual": 3, "quarter": 5}


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out, y, m = [], first.year, (first.month - 1) // 3 * 3 + 3
    while True:
        d = _month_end(y, m)
        if d > last:
            return out
        if d >= first:
            out.append(d)
        y, m = (y + 1, 3) if m == 12 else (y, m + 3)


def _at(rng: np.random.Generator, day: dt.date, start: dt.time, end: dt.time) -> dt.datetime:
    t0 = dt.datetime.combine(day, start)
    span = int((dt.datetime.combine(day, end) - t0).total_seconds())
    return t0 + dt.timedelta(seconds=int(rng.integers(span)))


def _disclosure_time(rng: np.random.Generator, day: dt.date) -> dt.datetime:
    u, edge = rng.random(), 0.0
    for start, end, share in HOURS:
        edge += share
        if u < edge:
            return _at(rng, day, start, end)
    return _at(rng, day, *HOURS[-1][:2])


def _business_day(day: dt.date, sessions: set[dt.date], span: tuple[dt.date, dt.date]) -> dt.date:
    """The first KRX session on or after ``day`` (a weekday outside the world's sessions)."""
    while (day not in sessions) if span[0] <= day <= span[1] else day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def planted_time(rng: np.random.Generator, day: dt.date, prev_day: dt.date, lag: int) -> dt.datetime:
    """Publication time of a planted financial event for a mover on ``day``: during the session
    (lag 0) or between the previous session's close and this day's open (lag 1)."""
    if lag == 0:
        return _at(rng, day, dt.time(9, 0), dt.time(15, 30))
    if rng.random() < 0.6:
        return _at(rng, prev_day, dt.time(15, 30), dt.time(18, 0))
    return _at(rng, day, dt.time(7, 30), dt.time(9, 0))


def make_timeline(rng: np.random.Generator, stock: dict, close: float, start: dt.date, end: dt.date,
                  sessions: set[dt.date], planted: list[dict], since: dt.datetime) -> dict:
    """One company's statements with publication times and estimate revisions; estimate columns
    get revisions when they are shown after ``since`` (the world's first event time).

    ``planted``: dicts with ``at`` (naive KST datetime), ``sign`` and ``strength``, in time order;
    each gets ``event`` (new_statement when a finished quarter awaits publication: it is published
    then, with a profit surprise; estimate_revision otherwise), ``period_type`` and ``period``."""
    fm = stock["fiscal_month"] or 12
    span = (start, end)
    quarters = _quarter_ends(start - dt.timedelta(days=1560), end + dt.timedelta(days=200))  # 3 years shown at start
    pub: list[dt.datetime] = []
    for q in quarters:
        fy_end = q.month == fm
        lag = int(rng.integers(35, 76) if fy_end else rng.integers(25, 46))
        pub.append(_disclosure_time(rng, _business_day(q + dt.timedelta(days=lag), sessions, span)))
    surprise = [0.0] * len(quarters)
    planted_revisions: list[tuple[str, int, dt.datetime, float]] = []
    for p in planted:
        k = next(i for i, t in enumerate(pub) if t > p["at"])
        if quarters[k] < p["at"].date():  # finished, not yet published: publish it now
            pub[k] = p["at"]
            surprise[k] = p["sign"] * p["strength"]
            p.update(event="new_statement", period_type="quarter", period=f"{quarters[k]:%Y-%m}")
        else:
            planted_revisions.append(("quarter", k, p["at"], p["sign"] * p["strength"]))
            p.update(event="estimate_revision", period_type="quarter", period=f"{quarters[k]:%Y-%m}")
        p["published_at"] = _iso(p["at"]) + KST_SUFFIX
    years = [q for q in quarters if q.month == fm]
    year_pub = [pub[quarters.index(y)] for y in years]

    base = stock["shares"]
    revenue = max(close * base / 1e8 * rng.uniform(0.2, 1.5), 10.0)
    margin = rng.normal(0.07, 0.06)
    equity = revenue * rng.uniform(0.4, 1.5)
    profile = {"revenue": revenue, "margin": margin, "equity": equity, "shares": base, "close": close}
    timeline: dict = {"actual": {}, "estimate": {}}
    for kind, ends, times in (("quarter", quarters, pub), ("annual", years, year_pub)):
        scale = 0.25 if kind == "quarter" else 1.0
        actual, estimates = [], {}
        for i, (q, t) in enumerate(zip(ends, times)):
            period = f"{q:%Y-%m}"
            rev = revenue * scale * rng.uniform(0.85, 1.15)
            m = margin + rng.normal(0, 0.015)
            if kind == "quarter" and surprise[i]:
                s = surprise[i]
                m = abs(margin) * (1 + 1.5 * s if s > 0 else 1 + 2.5 * s) + 0.02 * s
            figures = {"rev": rev, "margin": m, "scale": scale, "net_share": rng.uniform(0.6, 0.85),
                       "payout": rng.uniform(0, 0.35), "debt": rng.uniform(20, 250),
                       "quick": rng.uniform(50, 400), "reserve": rng.uniform(100, 5000),
                       "missing": [int(j) for j in np.flatnonzero(rng.random(16) < 0.03)]}
            actual.append([period, _iso(t), period_values(profile, figures, estimate=False)])
            shown_from = times[i - 1] if i else None
            if shown_from is None or t <= since or \
                    shown_from > dt.datetime.combine(end, dt.time(23, 59, 59)):
                continue  # never an estimate column inside the world
            est = dict(figures, rev=rev * rng.normal(1, 0.05), margin=m + rng.normal(0, 0.02 * scale + 0.01))
            versions = [[_iso(shown_from), period_values(profile, est, estimate=True)]]
            days = (t - shown_from).days
            stamps = sorted(_disclosure_time(rng, shown_from.date() + dt.timedelta(days=int(d)))
                            for d in rng.integers(1, max(days, 2), size=rng.poisson(days * REVISIONS_PER_DAY[kind])))
            pushes = [(s, float(rng.normal(0, 0.06))) for s in stamps
                      if shown_from < s < t and s.weekday() < 5]
            pushes += [(at, float(0.1 * sgn + 0.15 * np.sign(sgn) * min(abs(sgn), 2.0)))
                       for pk, k, at, sgn in planted_revisions if pk == kind and k == i]
            for when, push in sorted(pushes):
                est = dict(est, rev=est["rev"] * (1 + push / 4), margin=est["margin"] + abs(est["margin"]) * push
                           + 0.002 * np.sign(push))
                versions.append([_iso(when), period_values(profile, est, estimate=True)])
            estimates[period] = versions
        timeline["actual"][kind] = actual
        timeline["estimate"][kind] = estimates
    return timeline


def statement_at(timeline: dict | None, now: str) -> dict | None:
    """The columns the finance pages show at ``now`` (naive KST ISO): {kind: [{period, estimate,
    values}]}: the last 3 years / 5 quarters published by then and the next period's estimate."""
    if timeline is None:
        return None
    out = {}
    for kind in ("annual", "quarter"):
        actual = timeline["actual"][kind]
        published = [a for a in actual if a[1] <= now]
        cols = [{"period": p, "estimate": False, "values": v} for p, _t, v in published[-SHOWN[kind]:]]
        upcoming = next((a[0] for a in actual if a[1] > now), None)
        shown = [v for t, v in timeline["estimate"][kind].get(upcoming, ()) if t <= now]
        if shown:
            cols.append({"period": upcoming, "estimate": True, "values": shown[-1]})
        out[kind] = cols
    return out


def events(code: str, timeline: dict, first: str, last: str) -> Iterable[dict]:
    """Publication events stamped in [first, last] (naive KST ISO): new statements and estimate
    revisions (an estimate column's first appearance is not a revision)."""
    for kind in ("annual", "quarter"):
        for period, when, _v in timeline["actual"][kind]:
            if first <= when <= last:
                yield {"code": code, "period_type": kind, "period": period, "kind": "new_statement",
                       "published_at": when + KST_SUFFIX}
        for period, versions in timeline["estimate"][kind].items():
            for when, _v in versions[1:]:
                if first <= when <= last:
                    yield {"code": code, "period_type": kind, "period": period,
                           "kind": "estimate_revision", "published_at": when + KST_SUFFIX}


def write_events(path: Path, timelines: dict[str, dict], first: str, last: str) -> int:
    """``financial_events.jsonl``: one JSON object per event, by time then code."""
    rows = [e for code in sorted(timelines) for e in events(code, timelines[code], first, last)]
    rows.sort(key=lambda e: (e["published_at"], e["code"], e["period_type"], e["period"], e["kind"]))
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return len(rows)
