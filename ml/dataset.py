"""Load what the ML worker reads from PostgreSQL into pandas frames (and, for tests and
validation, copy a simulated world's truth records into the tables).

Every loader takes an open psycopg2 connection and explicit bounds, and returns one frame.
Reads go through ``COPY (SELECT ...) TO STDOUT`` so a year of a full market loads in seconds.
"""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import psycopg2

#: Index codes (KOSPI, KOSDAQ) share the price table. Stock codes have six characters and start
#: with a digit (KRX short codes, alphanumeric ones such as 0004A0 included); "KOSDAQ" also has six
#: characters, so the leading digit is what keeps an index out of stock-level outcomes and features.
STOCK_CODE = "^[0-9][0-9A-Z]{5}$"


def is_stock_code(codes: pd.Series) -> pd.Series:
    """True where ``codes`` are stock codes (not KOSPI / KOSDAQ or any other index name)."""
    return codes.astype(str).str.fullmatch(STOCK_CODE[1:-1])


def connect(url: str):
    """A psycopg2 connection (autocommit off) to ``url``."""
    return psycopg2.connect(url)


def read_frame(conn, sql: str, params: tuple = (), **read_csv) -> pd.DataFrame:
    """Run ``sql`` (with ``params``) through COPY ... TO STDOUT and parse it into a frame."""
    with conn.cursor() as cur:
        query = cur.mogrify(sql, params).decode()
        buf = io.StringIO()
        cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    return pd.read_csv(buf, **read_csv)


def load_prices(conn, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Daily prices of stocks (not indexes): code, trade_date, open, close, volume, halted."""
    return read_frame(
        conn,
        "SELECT code, trade_date, open::float8 AS open, close::float8 AS close, volume, halted::int AS halted "
        "FROM if_stock_daily_price WHERE trade_date BETWEEN %s AND %s AND code ~ %s",
        (start, end, STOCK_CODE), dtype={"code": str}, parse_dates=["trade_date"])


def load_stocks(conn) -> pd.DataFrame:
    """code, name, market_cap, security_type of every listed security."""
    return read_frame(conn, "SELECT code, name, market_cap, security_type FROM m_stock", dtype={"code": str})


def load_board(conn, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """Board posts stamped in [since, until): code, posted_at (UTC), reactions."""
    return read_frame(
        conn,
        "SELECT code, posted_at AT TIME ZONE 'UTC' AS posted_at, "
        "coalesce(likes, 0) + coalesce(dislikes, 0) + coalesce(comment_count, 0) AS reactions "
        "FROM if_board_post WHERE posted_at >= %s AND posted_at < %s",
        (since, until), dtype={"code": str}, parse_dates=["posted_at"])


def load_news(conn, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Ranked news rows with rank_date in [start, end]: rank_date, section, rank, title."""
    return read_frame(
        conn, "SELECT rank_date, section, rank, title FROM if_news_rank "
              "WHERE rank_date BETWEEN %s AND %s",
        (start, end), parse_dates=["rank_date"], keep_default_na=False)


def load_financial_events(conn, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """Financial events stamped in [since, until): code, event_at (UTC), kind.

    Read from the statement history (``if_financial_statement_change``, one row per change of a
    stored figure, dated by the load that made it: a crawl sees a change when it is published),
    per period (code, period_type, period) and change time:
    ``new_statement``: the first time the period has actual rows (an actual inserted, or estimate
    rows the publication turned into actuals), later than an hour after the stock's first load
    (the initial backfill is history, not news). ``estimate_revision``: each change time at which
    estimate rows of a period with no actual rows yet changed (a column's first appearance is not a
    revision). Revisions that change no stored figure (rounding on the page) are not seen.
    """
    return read_frame(
        conn,
        """
        WITH moment AS (
            SELECT code, period_type, period, changed_at,
                   bool_or(NOT is_estimate) AS actual,
                   bool_or(is_estimate AND kind = 'update') AS revised
            FROM if_financial_statement_change
            WHERE changed_at >= %s AND changed_at < %s
            GROUP BY code, period_type, period, changed_at)
        SELECT m.code, m.changed_at AT TIME ZONE 'UTC' AS event_at,
               CASE WHEN m.actual THEN 'new_statement' ELSE 'estimate_revision' END AS kind
        FROM moment m
        WHERE (m.actual OR m.revised)
          AND NOT EXISTS (  -- the period was published before: a restatement, or a stale estimate row
              SELECT FROM if_financial_statement_change e
              WHERE (e.code, e.period_type, e.period) = (m.code, m.period_type, m.period)
                AND e.changed_at < m.changed_at AND NOT e.is_estimate)
          AND (NOT m.actual OR m.changed_at > (
              SELECT min(s.loaded_at) + interval '1 hour' FROM if_financial_statement s WHERE s.code = m.code))
        ORDER BY 2, 1, 3
        """,
        (since, until), dtype={"code": str}, parse_dates=["event_at"])


def load_fear_greed(conn, start: dt.date, end: dt.date) -> pd.DataFrame:
    """as_of_date, score."""
    return read_frame(conn, "SELECT as_of_date, score::float8 AS score FROM if_fear_greed "
                            "WHERE as_of_date BETWEEN %s AND %s ORDER BY as_of_date",
                      (start, end), parse_dates=["as_of_date"])


def load_fx(conn, start: dt.date, end: dt.date, currency: str = "USD") -> pd.DataFrame:
    """rate_date, rate (KRW per one unit of ``currency``)."""
    return read_frame(conn, "SELECT rate_date, deal_base_rate::float8 / unit AS rate FROM if_fx_rate "
                            "WHERE currency = %s AND rate_date BETWEEN %s AND %s ORDER BY rate_date",
                      (currency, start, end), parse_dates=["rate_date"])
