"""Locust users for bench_api.py: ``ApiUser`` calls the API's movers, influence and stock-timeline
endpoints; ``SqlUser`` runs the same queries (services.api.queries, the same rows) straight on
PostgreSQL, the baseline. Parameters come from the environment: BENCH_DAYS, BENCH_CODES
(comma-separated), BENCH_API_KEY, BENCH_DATABASE_URL."""
from __future__ import annotations

import datetime as dt
import os
import random
import time

from locust import HttpUser, User, constant, task

DAYS = os.environ.get("BENCH_DAYS", "").split(",")
CODES = os.environ.get("BENCH_CODES", "").split(",")


class ApiUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.headers["X-API-Key"] = os.environ["BENCH_API_KEY"]

    @task
    def movers(self):
        self.client.get(f"/api/movers?date={random.choice(DAYS)}&list=abs", name="movers")

    @task
    def influence(self):
        self.client.get("/api/influence?period_type=month&from=2025-01&to=2025-12&limit=200",
                        name="influence")

    @task
    def timeline(self):
        self.client.get(f"/api/stocks/{random.choice(CODES)}/timeline", name="timeline")


class SqlUser(User):
    """The same queries through one connection per user; psycopg2 blocks gevent, so these run one
    at a time: the database's own time for the rows, the floor an API call cannot go below."""

    wait_time = constant(0)

    def on_start(self):
        from services.api.db import Database

        self.db = Database(os.environ["BENCH_DATABASE_URL"], size=1)

    def on_stop(self):
        self.db.close()

    def _timed(self, name, fn):
        start = time.perf_counter()
        error = None
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported to locust as a failure
            error = exc
        self.environment.events.request.fire(request_type="SQL", name=name, response_length=0,
                                             response_time=(time.perf_counter() - start) * 1000,
                                             exception=error, context={})

    @task
    def movers(self):
        from services.api import queries

        day = dt.date.fromisoformat(random.choice(DAYS))
        self._timed("movers", lambda: queries.movers(self.db, day, day, "abs", None, 100, None))

    @task
    def influence(self):
        from services.api import queries

        self._timed("influence", lambda: queries.influence(self.db, "month", "2025-01", "2025-12", None,
                                                           None, 200, None))

    @task
    def timeline(self):
        from services.api import queries

        def run():
            code = random.choice(CODES)
            stock = queries.stock(self.db, code)
            end = queries.last_price_day(self.db, code)
            queries.timeline(self.db, code, stock["name"], end - dt.timedelta(days=90), end)
        self._timed("timeline", run)
