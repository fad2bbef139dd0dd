"""Crawls under injected faults on the replay site: every stream a crawl publishes equals what the
same crawl publishes against a fault-free server (nothing lost, nothing extra, nothing twice).

Faults (``services/replay/faults.py``) hit 20% of the requests to every path: 429, 500 and 503,
hangs and slow answers beyond the crawl's timeout, truncated bodies and block pages. The ``fast``
profile runs one mix of all kinds; ``full`` adds a mix of each family alone."""
from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

from shared.broker import delete_topics, ensure_topics
from tests.crawl.conftest import FIRST, LAST, crawl, crawl_env, read_stream, serve_with_faults, truth

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MIXES = {
    "all kinds, 20%": {"429": 0.04, "500": 0.03, "503": 0.03, "hang": 0.02, "slow": 0.02, "truncate": 0.03,
                       "block": 0.03},
    "429 and 5xx, 20%": {"429": 0.1, "500": 0.05, "503": 0.05},
    "hangs, slow and truncated, 20%": {"hang": 0.05, "slow": 0.05, "truncate": 0.1},
    "block pages, 10%": {"block": 0.1},
}
#: One crawl per stream family: prices (per stock), board posts (paged per stock), ranked news (per day).
STREAMS = {"stockreport": "daily_price", "stockdebate": "board_post", "news": "news_rank"}


def _args(world, service: str) -> list[str]:
    codes = sorted(r["code"] for r in truth(world, "stock_listing"))
    if service == "stockreport":
        return ["--codes", ",".join(codes[:20]), "--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    if service == "stockdebate":
        return ["--codes", ",".join(codes[:6]), "--from", FIRST.isoformat()]
    return ["--from", FIRST.isoformat(), "--to", LAST.isoformat()]


def _records(settings, stream: str) -> Counter:
    return Counter(json.dumps(e["record"], sort_keys=True, ensure_ascii=False) for e in read_stream(settings, stream))


def _crawl_all(settings, base: str, world, archive, **env) -> dict[str, Counter]:
    found = {}
    for service, stream in STREAMS.items():
        done = crawl(crawl_env(settings, base, archive, CRAWL_TIMEOUT="1", CRAWL_RETRY_TIMES="12", CRAWL_MAX_BLOCKS="12", **env),
                     service, *_args(world, service), timeout=300)
        assert done.code == 0, f"{service}: {done.stderr[-1500:]}"
        found[stream] = _records(settings, stream)
    runs = [e["record"] for e in read_stream(settings, "crawl_run")]
    found["retries"] = sum(r["detail"].get("retries", 0) for r in runs)
    found["blocks"] = sum(r["detail"].get("blocks", 0) for r in runs)
    return found


def test_given_injected_fault_mixes_when_crawling_then_every_stream_equals_a_fault_free_crawl(
        settings, crawl_world, replay, profile, figures, tmp_path):
    clean = _crawl_all(settings, replay.base, crawl_world, tmp_path / "clean")
    assert all(clean[stream] for stream in STREAMS.values()), "the fault-free crawl found nothing to compare with"
    mixes = list(MIXES) if profile.name == "full" else list(MIXES)[:1]
    results = {}
    for number, mix in enumerate(mixes):
        prefix = f"f{uuid.uuid4().hex[:8]}."
        ensure_topics(settings.kafka_bootstrap_servers, prefix)
        faulted_settings = settings.model_copy(update={"kafka_topic_prefix": prefix})
        server = serve_with_faults(crawl_world, {"seed": 13 + number, "rules": [
            {"prefix": "/", "share": MIXES[mix], "slow_seconds": 1.5}]})
        try:
            got = _crawl_all(faulted_settings, server.base, crawl_world, tmp_path / f"mix{number}")
        finally:
            server.stop()
            delete_topics(settings.kafka_bootstrap_servers, prefix)
        faults = {"retries": got["retries"], "block pages": got["blocks"]}
        results[mix] = faults | {stream: {"clean": sum(clean[stream].values()), "faulted": sum(got[stream].values()),
                                 "lost": sum((clean[stream] - got[stream]).values()),
                                 "extra": sum((got[stream] - clean[stream]).values())}
                        for stream in STREAMS.values()}
    figures.update(mixes=results)
    for mix, streams in results.items():
        assert streams["retries"] + streams["block pages"] > 0, f"{mix}: no fault reached the crawlers"
        for stream in STREAMS.values():
            counts = streams[stream]
            assert (counts["lost"], counts["extra"]) == (0, 0), (mix, stream, counts)
