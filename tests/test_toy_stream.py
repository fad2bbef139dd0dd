"""A new stream touches one place (issue 15): a toy medium declared once (tests/toy/stream.py: its
model and its ``Stream``) with its migration is created as a topic, loaded into its table by the
unchanged loader (newest record per key) and listed in the README's stream table, with no other
edit to the fleet."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import subprocess_env
from tests.toy.stream import MIGRATION

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]


def test_given_a_toy_stream_declared_once_when_records_are_published_then_the_fleet_topics_loads_and_lists_it(
        settings, database):
    with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
        cur.execute(MIGRATION)
    done = subprocess.run([sys.executable, "-m", "tests.toy.stream"], cwd=ROOT, env=subprocess_env(settings),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    derived = json.loads(done.stdout.strip().splitlines()[-1])
    assert derived["spec"] == ["if_toy_metric", ["code", "day"]]
    assert derived["topic"] == [settings.kafka_topic_prefix + "toy_metric", 2]
    assert derived["readme"] and "`if_toy_metric`" in derived["readme"][0]
    with psycopg2.connect(database["analyst"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT code, day::text, value, source, run_id FROM if_toy_metric ORDER BY code")
        rows = cur.fetchall()
    assert rows == [("000660", "2026-09-29", 2.0, "toy", "toy-1"), ("005930", "2026-09-29", 2.5, "toy", "toy-1")]
