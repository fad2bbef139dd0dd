"""The loader's one retry policy for PostgreSQL: retried with growing waits, each retry logged,
and given up after the configured time, against a real closed port."""
from __future__ import annotations

import logging
import time

import psycopg2
import pytest

from services.loader import retrying


def test_given_postgres_down_when_connecting_under_the_policy_then_retries_are_logged_and_it_gives_up_in_time(
        monkeypatch, caplog):
    monkeypatch.setattr(retrying, "SECONDS", 1.5)
    attempts = []

    @retrying.db_retry
    def connect():
        attempts.append(time.monotonic())
        return psycopg2.connect("postgresql://insertcoin@127.0.0.1:1/insertcoin", connect_timeout=2)

    caplog.set_level(logging.WARNING, logger="services.loader.retrying")
    started = time.monotonic()
    with pytest.raises(psycopg2.OperationalError):
        connect()
    took = time.monotonic() - started
    assert 1.5 <= took < 1.5 + 8.5 + 2  # the budget, plus at most one last wait and attempt
    assert len(attempts) >= 2 and attempts[1] - attempts[0] >= 0.5  # waited before retrying
    retries = [r for r in caplog.records if r.msg.startswith("PostgreSQL failed")]
    assert len(retries) == len(attempts) - 1
    assert retries[0].gives_up_after_seconds == 1.5 and "Connection refused" in retries[0].error


def test_given_a_non_transient_error_when_writing_then_it_is_not_retried():
    calls = []

    @retrying.db_retry
    def write():
        calls.append(1)
        raise psycopg2.errors.UniqueViolation("duplicate")

    with pytest.raises(psycopg2.errors.UniqueViolation):
        write()
    assert calls == [1]
