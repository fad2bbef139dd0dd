"""A small simulated world, a replay server on a free loopback port, and a helper that runs
``insertcoin crawl`` as a child process pointed at both (and at this test's Kafka topics)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from services.replay.effects import EffectsConfig
from services.replay.simulate import build_world
from shared.settings import Settings
from shared.topics import topic_for
from tests.conftest import subprocess_env
from tests.replay.conftest import Served

AUTHKEY = "crawl-test-key"
OPENDART_KEY = "crawl-test-opendart-key"
#: The world: 40 securities (the simulator's smallest that has KOSPI and KOSDAQ companies).
FIRST, LAST = dt.date(2026, 9, 22), dt.date(2026, 9, 30)
BASE_VARS = ("NAVER_STOCK_API_URL", "NAVER_STOCK_URL", "NAVER_MSTOCK_URL", "NAVER_FINANCE_URL", "NATE_NEWS_URL",
             "CNN_DATAVIZ_URL", "CNN_WEB_URL", "KOREAEXIM_URL", "KIND_URL", "DART_URL", "OPENDART_URL")


@pytest.fixture(scope="session")
def crawl_world(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crawl_world")
    build_world(folder, stocks=40, start=FIRST, end=LAST, seed=5,
                effects=EffectsConfig(movers_per_day=3), posts_per_day=2.5)
    return folder


@pytest.fixture(scope="session")
def replay(crawl_world):
    served = Served(["--world", str(crawl_world)], env={"REPLAY_KOREAEXIM_AUTHKEY": AUTHKEY,
                                                        "REPLAY_OPENDART_API_KEY": OPENDART_KEY})
    yield served
    served.stop()


def serve_with_faults(world: Path, faults: dict) -> Served:
    """A replay server of its own with ``REPLAY_FAULTS``."""
    return Served(["--world", str(world)], env={"REPLAY_KOREAEXIM_AUTHKEY": AUTHKEY,
                                                "REPLAY_FAULTS": orjson.dumps(faults).decode()})


@dataclass
class Finished:
    code: int
    stderr: str
    seconds: float


def crawl_env(settings: Settings, base: str, archive: Path, **extra: str) -> dict[str, str]:
    env = subprocess_env(settings, **{name: base for name in BASE_VARS})
    env.pop("KOREAEXIM_AUTHKEY", None)
    env.update(KOREAEXIM_AUTHKEY=AUTHKEY, OPENDART_API_KEY=OPENDART_KEY, ARCHIVE_DIR=str(archive), CRAWL_POLITE="0", CRAWL_BACKOFF_BASE="0.01",
               CRAWL_BACKOFF_MAX="0.2", CRAWL_BLOCK_BACKOFF="0.01", CRAWL_TIMEOUT="20", LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def start_crawl(env: dict[str, str], service: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "shared.cli", "crawl", service, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])


def crawl(env: dict[str, str], service: str, *args: str, timeout: float = 120) -> Finished:
    """Run one crawl to its end."""
    started = time.perf_counter()
    proc = start_crawl(env, service, *args)
    _, err = proc.communicate(timeout=timeout)
    return Finished(proc.returncode, err.decode(), time.perf_counter() - started)


def read_stream(settings: Settings, stream: str) -> list[dict]:
    """Every envelope on a stream's topic (under this test's prefix), oldest first."""
    topic = topic_for(stream, settings.kafka_topic_prefix)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for messages in consumer.poll(timeout_ms=500).values():
                out.extend(orjson.loads(m.value) for m in messages)
        return out
    finally:
        consumer.close()


def runs(settings: Settings, service: str) -> list[dict]:
    """The crawl_run records of a service, oldest first."""
    return [e["record"] for e in read_stream(settings, "crawl_run") if e["record"]["service"] == service]


def prices_under_faults(settings: Settings, world: Path, archive: Path, faults: dict, codes: list[str],
                        **extra: str) -> tuple[Finished, dict, set, set]:
    """Crawl the prices of ``codes`` over the world's days from a replay server of its own with
    ``faults``: (the finished crawl, its crawl_run, the (code, day)s published, those of the truth)."""
    server = serve_with_faults(world, faults)
    try:
        done = crawl(crawl_env(settings, server.base, archive, **extra), "stockreport", "--codes", ",".join(codes),
                     "--from", FIRST.isoformat(), "--to", LAST.isoformat())
    finally:
        server.stop()
    assert done.code == 0, done.stderr[-1500:]
    got = {(e["record"]["code"], e["record"]["trade_date"]) for e in read_stream(settings, "daily_price")}
    want = {(r["code"], r["trade_date"]) for r in truth(world, "daily_price") if r["code"] in codes}
    return done, runs(settings, "stockreport")[-1], got, want


def truth(world: Path, stream: str) -> list[dict]:
    return [orjson.loads(line) for line in (world / "truth" / f"{stream}.jsonl").read_bytes().splitlines()]


@pytest.fixture
def env_for(settings, replay, tmp_path):
    """``env_for(**extra)``: the environment of a crawl against the shared replay server."""
    def make(base: str | None = None, **extra: str) -> dict[str, str]:
        return crawl_env(settings, base or replay.base, tmp_path / "archive", **extra)
    return make


def one_line(stderr: str) -> str:
    """The last non-log line of a crawl's stderr (logs are JSON objects)."""
    lines = [l for l in stderr.splitlines() if l.strip() and not l.lstrip().startswith("{")]
    assert lines, f"no message line in stderr: {stderr[-500:]}"
    return lines[-1]


__all__ = ["os"]
