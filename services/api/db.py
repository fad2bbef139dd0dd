"""The API's database access: a bounded pool of read-only connections (analyst role), plain SQL
returning rows as dicts."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from psycopg2.extras import RealDictCursor
from psycopg2.pool import ThreadedConnectionPool


class Database:
    """At most ``size`` connections; a request waits for a free one instead of failing."""

    def __init__(self, url: str, size: int = 8):
        self._pool = ThreadedConnectionPool(1, size, url, application_name="insertcoin-api")
        self._free = threading.BoundedSemaphore(size)

    @contextmanager
    def cursor(self):
        with self._free:
            conn = self._pool.getconn()
            broken = False
            try:
                if not conn.autocommit:
                    conn.autocommit = True        # reads only: no transaction to hold open
                with conn.cursor(cursor_factory=RealDictCursor) as cur:
                    yield cur
            except Exception:
                broken = conn.closed != 0
                raise
            finally:
                self._pool.putconn(conn, close=broken)

    def rows(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        with self.cursor() as cur:
            cur.execute(sql, params)
            return [dict(r) for r in cur.fetchall()]

    def one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def close(self) -> None:
        self._pool.closeall()
