"""The SQL behind the API and the dashboard: plain SELECTs on the ML worker's tables and views,
keyset-paginated where they list. Every function takes the Database and returns dicts."""
from __future__ import annotations

import datetime as dt

MOVER_COLUMNS = ("trade_date", "list", "rank", "code", "name", "r", "direction",
                 "board_predictive", "news_predictive", "financial_predictive",
                 "board_explanatory", "news_explanatory", "financial_explanatory")
INFLUENCE_COLUMNS = ("period_type", "period", "clock", "scope", "medium", "source", "rank",
                     "influence", "ci_low", "ci_high", "p_value", "p_adjusted", "significant",
                     "pr_auc_full", "pr_auc_without", "n_days", "n_permutations", "model")
WATCHLIST_COLUMNS = ("trade_date", "rank", "code", "name", "probability", "score", "reasons",
                     "n_ranked", "model", "data_until", "caveats", "among_movers")
WATCHLIST_SCORE_COLUMNS = ("trade_date", "n", "hits", "precision", "base_rate", "lift", "p_value",
                           "n_valid", "hit_codes")
STOCK_COLUMNS = ("code", "name", "market", "sector", "market_cap")


def latest_mover_day(db) -> dt.date | None:
    return db.one("SELECT max(trade_date) AS d FROM if_top_mover")["d"]


def movers(db, start: dt.date, end: dt.date, lst: str | None, code: str | None, limit: int,
           after: list[str] | None) -> list[dict]:
    """Top movers of [start, end] with each mover's media on both clocks, by (date, list, rank)."""
    sql = (f"SELECT trade_date, list, rank, code, name, r, direction, board_predictive, "
           f"news_predictive, financial_predictive, board_explanatory, news_explanatory, "
           f"financial_explanatory FROM v_top_movers_media WHERE trade_date BETWEEN %s AND %s")
    params: list = [start, end]
    if lst:
        sql += " AND list = %s"
        params.append(lst)
    if code:
        sql += " AND code = %s"
        params.append(code)
    if after:
        sql += " AND (trade_date, list, rank) > (%s::date, %s, %s::smallint)"
        params += after
    sql += " ORDER BY trade_date, list, rank LIMIT %s"
    return db.rows(sql, (*params, limit + 1))


def influence(db, period_type: str | None, start: str | None, end: str | None, medium: str | None,
              clock: str | None, limit: int, after: list[str] | None) -> list[dict]:
    """Influence per medium, clock and period with its CI, p and the scorer's own Holm-adjusted p and
    verdict (ml/significance.py: a year's media x clocks, or a year's months x media x clocks), so
    the API never states a claim the scorer did not make."""
    sql = ("SELECT i.period_type, i.period, i.clock, i.scope, i.medium, m.source, i.rank, i.influence, "
           "i.ci_low, i.ci_high, i.p_value, i.p_adjusted, i.significant, i.pr_auc_full, i.pr_auc_without, i.n_days, i.n_permutations, i.model "
           "FROM m_media_influence i JOIN m_medium m USING (medium) WHERE true")
    params: list = []
    for column, value, op in (("i.period_type", period_type, "="), ("i.period", start, ">="),
                              ("i.period", end, "<="), ("i.medium", medium, "="),
                              ("i.clock", clock, "=")):
        if value is not None:
            sql += f" AND {column} {op} %s"
            params.append(value)
    if after:
        sql += " AND (i.period_type, i.period, i.clock, i.medium) > (%s, %s, %s, %s)"
        params += after
    sql += " ORDER BY i.period_type, i.period, i.clock, i.medium LIMIT %s"
    return db.rows(sql, (*params, limit + 1))


def stocks(db, query: str | None, limit: int, after: list[str] | None) -> list[dict]:
    sql = "SELECT code, name, market, sector, market_cap FROM m_stock WHERE true"
    params: list = []
    if query:
        sql += " AND (code = %s OR strpos(name, %s) > 0)"
        params += [query, query]
    if after:
        sql += " AND code > %s"
        params += after
    return db.rows(sql + " ORDER BY code LIMIT %s", (*params, limit + 1))


def stock_and_last_day(db, code: str) -> dict | None:
    """The stock and its last price day (``last_day``), in one round trip."""
    return db.one("SELECT code, name, market, sector, market_cap, (SELECT max(trade_date) FROM "
                  "if_stock_daily_price p WHERE p.code = s.code) AS last_day FROM m_stock s WHERE code = %s",
                  (code,))


#: The timeline's parts, each a JSON array built by PostgreSQL, all in one statement: one round
#: trip instead of six (each part is an index scan under a millisecond; under 50 concurrent users
#: the round trips, not the scans, made the p95).
TIMELINE_SQL = """
SELECT
 (SELECT coalesce(json_agg(x ORDER BY x.trade_date), '[]') FROM (
    SELECT trade_date, open::float8 AS open, high::float8 AS high, low::float8 AS low,
           close::float8 AS close, volume, halted
    FROM if_stock_daily_price WHERE code = %(code)s AND trade_date BETWEEN %(start)s AND %(end)s) x
 ) AS prices,
 (SELECT coalesce(json_agg(x ORDER BY x.hour_kst), '[]') FROM (
    SELECT date_trunc('hour', posted_at AT TIME ZONE 'Asia/Seoul') AS hour_kst, count(*) AS posts
    FROM if_board_post WHERE code = %(code)s AND posted_at >= %(since)s::timestamp AT TIME ZONE 'UTC'
      AND posted_at < %(until)s::timestamp AT TIME ZONE 'UTC' GROUP BY 1) x
 ) AS posts_per_hour,
 (SELECT coalesce(json_agg(x ORDER BY x.rank_date, x.section, x.rank), '[]') FROM (
    SELECT rank_date, section, rank, title, url, press FROM if_news_rank
    WHERE %(named)s AND rank_date BETWEEN %(start)s AND %(end)s
      AND title LIKE %(pattern)s) x                                  -- ix_news_rank_title_trgm
 ) AS news,
 (SELECT coalesce(json_agg(x ORDER BY x.trade_date, x.list), '[]') FROM (
    SELECT trade_date, list, rank, r, board_predictive, news_predictive, financial_predictive,
           board_explanatory, news_explanatory, financial_explanatory
    FROM if_top_mover WHERE code = %(code)s AND trade_date BETWEEN %(start)s AND %(end)s) x
 ) AS movers,
 (SELECT coalesce(json_agg(x ORDER BY x.trade_date), '[]') FROM (
    SELECT trade_date, rank, probability FROM if_watchlist
    WHERE code = %(code)s AND trade_date BETWEEN %(start)s AND %(end)s) x
 ) AS watchlist,
 (SELECT coalesce(json_agg(x ORDER BY x.changed_at, x.period_type, x.period, x.metric), '[]') FROM (
    SELECT changed_at, period_type, period, metric, is_estimate, value::float8 AS value, unit, kind
    FROM if_financial_statement_change WHERE code = %(code)s
      AND changed_at >= %(since)s::timestamp AT TIME ZONE 'UTC'
      AND changed_at < %(until)s::timestamp AT TIME ZONE 'UTC') x
 ) AS financial
"""
#: the fields of each part that JSON carries as text: read back as dates and times
_TIMELINE_DATES = {"prices": ("trade_date", dt.date), "posts_per_hour": ("hour_kst", dt.datetime),
                   "news": ("rank_date", dt.date), "movers": ("trade_date", dt.date),
                   "watchlist": ("trade_date", dt.date), "financial": ("changed_at", dt.datetime)}


def timeline(db, code: str, name: str | None, start: dt.date, end: dt.date) -> dict:
    """A stock's prices, board posts per hour (KST), ranked news naming it, changes of its
    financial statements (new figures, estimate revisions, as loaded), its top-mover days and
    watchlist days in [start, end]."""
    since = dt.datetime.combine(start, dt.time()) - dt.timedelta(hours=9)   # KST midnight, in UTC
    until = dt.datetime.combine(end, dt.time()) + dt.timedelta(hours=15)
    parts = db.one(TIMELINE_SQL, {"code": code, "start": start, "end": end, "since": since, "until": until,
                                  "named": bool(name), "pattern": f"%{_like(name or '')}%"})
    for part, (field, kind) in _TIMELINE_DATES.items():
        for row in parts[part]:
            row[field] = kind.fromisoformat(row[field])
    return parts


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (default escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def latest_watchlist_day(db) -> dt.date | None:
    return db.one("SELECT max(trade_date) AS d FROM if_watchlist")["d"]


def watchlist(db, day: dt.date) -> list[dict]:
    """The day's list, each stock's reasons, and whether it was among the day's top movers (null
    until the day is scored)."""
    return db.rows(
        "SELECT w.trade_date, w.rank, w.code, s.name, w.probability, w.score, w.reasons, w.n_ranked, "
        "w.model, w.data_until, w.caveats, CASE WHEN sc.trade_date IS NULL THEN NULL "
        "ELSE w.code = ANY (sc.hit_codes) END AS among_movers "
        "FROM if_watchlist w LEFT JOIN m_stock s USING (code) "
        "LEFT JOIN if_watchlist_score sc ON sc.trade_date = w.trade_date "
        "WHERE w.trade_date = %s ORDER BY w.rank", (day,))


def watchlist_scores(db, start: dt.date, end: dt.date, limit: int, after: list[str] | None) -> list[dict]:
    sql = ("SELECT trade_date, n, hits, precision, base_rate, lift, p_value, n_valid, hit_codes "
           "FROM if_watchlist_score WHERE trade_date BETWEEN %s AND %s")
    params: list = [start, end]
    if after:
        sql += " AND trade_date > %s::date"
        params += after
    return db.rows(sql + " ORDER BY trade_date LIMIT %s", (*params, limit + 1))


def watchlist_summary(db, start: dt.date, end: dt.date) -> dict:
    """Lists scored in [start, end]: their number, mean precision and mean base rate."""
    return db.one("SELECT count(*) AS lists, avg(precision) AS mean_precision, "
                  "avg(base_rate) AS mean_base_rate, sum(hits) AS hits, sum(n) AS picks "
                  "FROM if_watchlist_score WHERE trade_date BETWEEN %s AND %s", (start, end))
