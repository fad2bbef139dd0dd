"""The loader's one retry policy for PostgreSQL: a connection or a write that fails for a
transient reason (the server restarts, a failover, a dropped connection) is retried on a fresh
connection, waiting 0.5 s, 1 s, 2 s ... up to 8 s (plus jitter) between attempts, for at most
``SECONDS`` in all (``insertcoin load --db-retry-seconds``); each retry is logged. Past that the
loader stops with one line (exit 5): its offsets are committed only after the database commit,
so a restart (compose, ECS) loses nothing."""
from __future__ import annotations

import logging

import psycopg2
from tenacity import retry, retry_if_exception_type, wait_exponential, wait_random

log = logging.getLogger(__name__)

TRANSIENT = (psycopg2.OperationalError, psycopg2.InterfaceError)
#: Longest time spent retrying one connection or one batch (seconds).
SECONDS = 60.0


def _given_up(state) -> bool:
    return state.seconds_since_start >= SECONDS


def _log_retry(state) -> None:
    error = state.outcome.exception()
    log.warning("PostgreSQL failed; retrying on a fresh connection", extra={
        "attempt": state.attempt_number, "wait_seconds": round(state.next_action.sleep, 2),
        "gives_up_after_seconds": SECONDS, "error": str(error).strip().splitlines()[0] if str(error).strip()
        else type(error).__name__})


#: Decorate a function that connects to or writes into PostgreSQL with the policy.
db_retry = retry(retry=retry_if_exception_type(TRANSIENT), wait=wait_exponential(multiplier=0.5, max=8) +
                 wait_random(0, 0.5), stop=_given_up, reraise=True, before_sleep=_log_retry)
