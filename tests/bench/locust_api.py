"""The locust user of bench_api.py: ``ApiUser`` calls the API's movers, influence and
stock-timeline endpoints. Parameters come from the environment: BENCH_DAYS, BENCH_CODES
(comma-separated), BENCH_API_KEY, BENCH_WAIT ("min,max" think time in seconds, default 0,0)."""
from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

DAYS = os.environ.get("BENCH_DAYS", "").split(",")
CODES = os.environ.get("BENCH_CODES", "").split(",")
WAIT = [float(x) for x in os.environ.get("BENCH_WAIT", "0,0").split(",")]   # think time, seconds


class ApiUser(HttpUser):
    wait_time = between(*WAIT)

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
