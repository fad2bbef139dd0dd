"""Writing a watchlist, and scoring a past one against its day's top movers."""
from __future__ import annotations

import datetime as dt
import json

from psycopg2.extras import execute_values
from scipy.stats import hypergeom

from services.watchlist.rank import Watchlist


def replace_watchlist(conn, watchlist: Watchlist) -> int:
    """Replace the rows of the watchlist's day in one transaction; returns rows written."""
    rows = [(watchlist.trade_date, int(r.rank), r.code, r.score, r.probability,
             json.dumps(r.reasons, ensure_ascii=False), watchlist.n_ranked, watchlist.model,
             watchlist.data_until, list(watchlist.caveats)) for r in watchlist.rows.itertuples()]
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM if_watchlist WHERE trade_date = %s", (watchlist.trade_date,))
        if rows:
            execute_values(cur, "INSERT INTO if_watchlist (trade_date, rank, code, score, probability, "
                                "reasons, n_ranked, model, data_until, caveats) VALUES %s", rows)
    return len(rows)


class NothingToScore(RuntimeError):
    """The day has no watchlist, or no top movers yet."""


def score_watchlist(conn, day: dt.date) -> dict:
    """Score ``day``'s watchlist against its top-10 movers (abs list) and store the result:
    precision@N, the base rate of a random list of N (top movers / valid stocks), the lift and
    the hypergeometric p of drawing that many hits by chance."""
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM if_watchlist WHERE trade_date = %s ORDER BY rank", (day,))
        listed = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT code, n_valid FROM if_top_mover WHERE trade_date = %s AND list = 'abs'",
                    (day,))
        movers = cur.fetchall()
    if not listed:
        raise NothingToScore(f"no watchlist for {day}: `insertcoin watchlist --date {day}` makes one")
    if not movers:
        raise NothingToScore(f"no top movers for {day} yet: `insertcoin score --date {day}` first")
    n, n_valid, n_top = len(listed), int(movers[0][1]), len(movers)
    hit_codes = [c for c in listed if c in {m[0] for m in movers}]
    base = n_top / n_valid
    precision = len(hit_codes) / n
    result = {"trade_date": day, "n": n, "hits": len(hit_codes), "precision": precision,
              "n_valid": n_valid, "base_rate": base, "lift": precision / base if base else None,
              "p_value": float(min(1.0, max(0.0, hypergeom.sf(len(hit_codes) - 1, n_valid, n_top, n)))),
              "hit_codes": hit_codes}
    cols = list(result)
    with conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO if_watchlist_score ({', '.join(cols)}) VALUES "
                    f"({', '.join(['%s'] * len(cols))}) ON CONFLICT (trade_date) DO UPDATE SET "
                    + ", ".join(f"{c} = EXCLUDED.{c}" for c in cols[1:]) + ", scored_at = now()",
                    [result[c] for c in cols])
    return result
