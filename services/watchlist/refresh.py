"""The watchlist's last pass before the open: at 08:40 KST the board and the news are crawled once
more, each crawler from its own bookmark, and the list waits -- within one time budget -- until
the loader has written what they published, so the night's last posts and the morning's news
ranking count. A pass that fails or runs out of time never stops the list: it is made from what
is loaded, and it says so (``Watchlist.caveats``: stored, sent and shown)."""
from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import time

from shared.broker import loader_lag, security_config
from shared.settings import get_settings

log = logging.getLogger(__name__)
#: crawler -> (the medium it feeds, the streams whose loading the list waits for)
PASSES = {"stockdebate": ("board", ("board_post",)), "news": ("news", ("news_rank",))}


def pass_arguments(service: str, day: dt.date) -> list[str]:
    """The board from its bookmark (the newest post seen) to now; the list day's news ranking
    again (--force: earlier runs of the day saw a shorter ranking)."""
    return [] if service == "stockdebate" else ["--date", day.isoformat(), "--force"]
POLL_SECONDS = 2.0


def last_pass(day: dt.date, budget: float) -> list[str]:
    """Crawl the board and ``day``'s news side by side, then wait for the loader; all within
    ``budget`` seconds. Returns the caveats, one line each (empty when every pass is in the tables)."""
    deadline = time.monotonic() + budget
    procs = {service: subprocess.Popen([sys.executable, "-m", "shared.cli", "crawl", service,
                                        *pass_arguments(service, day)])
             for service in PASSES}
    caveats = []
    for service, proc in procs.items():
        medium = PASSES[service][0]
        try:
            code = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()      # the crawl records itself as interrupted
            proc.wait(timeout=60)
            caveats.append(f"{medium}: the last pass (crawl {service}) was stopped after the "
                           f"{budget:.0f} s budget; {medium} media after its previous run may be missing")
            continue
        if code != 0:
            caveats.append(f"{medium}: the last pass (crawl {service}) failed with exit {code}; "
                           f"{medium} media after its previous run may be missing")
    streams = [stream for _medium, streams in PASSES.values() for stream in streams]
    lag = _wait_for_loader(streams, deadline)
    if lag is None:
        caveats.append("loader: Kafka did not say how far the loader is; the last pass may not be in the list")
    elif lag:
        caveats.append(f"loader: {lag} records of the last pass not written after the {budget:.0f} s "
                       f"budget; the list ranks without them")
    for caveat in caveats:
        log.warning("watchlist pass: %s", caveat)
    return caveats


def _wait_for_loader(streams: list[str], deadline: float) -> int | None:
    """0 once the loader has caught up on ``streams``; else the records still to go at the deadline
    (None when Kafka could not be asked)."""
    settings = get_settings()
    lag = None
    while True:
        try:
            lag = loader_lag(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix, streams,
                             **security_config(settings))
        except Exception as exc:  # noqa: BLE001 - the list is still made; the reason is logged
            log.warning("watchlist pass: cannot read the loader's progress: %s", exc)
            lag = None
        if lag == 0 or time.monotonic() >= deadline:
            return lag
        time.sleep(POLL_SECONDS)
