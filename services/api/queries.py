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
                     "n_ranked", "model", "data_until", "among_movers")
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


def stock(db, code: str) -> dict | None:
    return db.one("SELECT code, name, market, sector, market_cap FROM m_stock WHERE code = %s", (code,))


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


def last_price_day(db, code: str) -> dt.date | None:
    return db.one("SELECT max(trade_date) AS d FROM if_stock_daily_price WHERE code = %s", (code,))["d"]


def timeline(db, code: str, name: str | None, start: dt.date, end: dt.date) -> dict:
    """A stock's prices, board posts per hour (KST), ranked news naming it, changes of its
    financial statements (new figures, estimate revisions, as loaded), its top-mover days and
    watchlist days in [start, end]."""
    since = dt.datetime.combine(start, dt.time()) - dt.timedelta(hours=9)   # KST midnight, in UTC
    until = dt.datetime.combine(end, dt.time()) + dt.timedelta(hours=15)
    prices = db.rows("SELECT trade_date, open::float8, high::float8, low::float8, close::float8, "
                     "volume, halted FROM if_stock_daily_price WHERE code = %s "
                     "AND trade_date BETWEEN %s AND %s ORDER BY trade_date", (code, start, end))
    posts = db.rows("SELECT date_trunc('hour', posted_at AT TIME ZONE 'Asia/Seoul') AS hour_kst, "
                    "count(*) AS posts FROM if_board_post WHERE code = %s AND posted_at >= %s::timestamp "
                    "AT TIME ZONE 'UTC' AND posted_at < %s::timestamp AT TIME ZONE 'UTC' GROUP BY 1 ORDER BY 1",
                    (code, since, until))
    news = db.rows("SELECT rank_date, section, rank, title, url, press FROM if_news_rank "
                   "WHERE rank_date BETWEEN %s AND %s AND title LIKE %s "      # ix_news_rank_title_trgm
                   "ORDER BY rank_date, section, rank", (start, end, f"%{_like(name)}%")) if name else []
    movers = db.rows("SELECT trade_date, list, rank, r, board_predictive, news_predictive, "
                     "financial_predictive, board_explanatory, news_explanatory, financial_explanatory "
                     "FROM if_top_mover WHERE code = %s AND trade_date BETWEEN %s AND %s "
                     "ORDER BY trade_date, list", (code, start, end))
    watch = db.rows("SELECT trade_date, rank, probability FROM if_watchlist WHERE code = %s "
                    "AND trade_date BETWEEN %s AND %s ORDER BY trade_date", (code, start, end))
    financial = db.rows("SELECT changed_at, period_type, period, metric, is_estimate, value::float8, unit, "
                        "kind FROM if_financial_statement_change WHERE code = %s AND changed_at >= "
                        "%s::timestamp AT TIME ZONE 'UTC' AND changed_at < %s::timestamp AT TIME ZONE 'UTC' "
                        "ORDER BY changed_at, period_type, period, metric", (code, since, until))
    return {"prices": prices, "posts_per_hour": posts, "news": news, "movers": movers,
            "watchlist": watch, "financial": financial}


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
        "w.model, w.data_until, CASE WHEN sc.trade_date IS NULL THEN NULL "
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
