"""The compose demo's one-shot ``demo`` service (docker-compose.yml, profile ``demo``): crawl the
replay site's whole simulated range with the eight crawlers, wait until the loader has written
every record they published, then score. It exits 0 only when every step succeeded, and says
which step failed otherwise. Knobs (environment): DEMO_FROM, DEMO_TO (the world's range),
DEMO_SCORE_ARGS (extra ``insertcoin score`` arguments), DEMO_LOAD_TIMEOUT (seconds, default 900)."""
from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
import time

from shared.broker import loader_lag
from shared.streams import MODELS
from shared.settings import get_settings

def say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def insertcoin(*args: str) -> subprocess.Popen:
    say("insertcoin " + " ".join(args))
    return subprocess.Popen([sys.executable, "-m", "shared.cli", *args])


def crawl_all(first: dt.date, last: dt.date) -> list[str]:
    """stockcode first (the listing the per-stock crawls read), then the seven others side by side;
    the services that failed."""
    if insertcoin("crawl", "stockcode").wait() != 0:
        return ["stockcode"]
    before = lambda days: (first - dt.timedelta(days=days)).isoformat()  # noqa: E731
    span = ("--to", last.isoformat())
    jobs = {"stockreport": ("--from", first.isoformat(), *span),
            "stockdebate": ("--from", before(4), *span),  # posts start before the first session
            "financialreport": (),
            "news": ("--from", before(1), *span),
            "fear-greed": ("--from", first.isoformat(), *span),
            "fx": ("--from", first.isoformat(), *span),
            "disclosure": ("--from", before(1), *span)}  # filings after the close lead the next open
    procs = {name: insertcoin("crawl", name, *args) for name, args in jobs.items()}
    return [name for name, proc in procs.items() if proc.wait() != 0]


def wait_for_loader(timeout: float) -> bool:
    settings = get_settings()
    deadline = time.monotonic() + timeout
    lag = None
    while time.monotonic() < deadline:
        lag = loader_lag(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix, MODELS)
        if lag == 0:
            return True
        say(f"loader: {lag} records to go")
        time.sleep(3)
    say(f"loader: still {lag} records behind after {timeout:.0f} s")
    return False


def main() -> int:
    first, last = (dt.date.fromisoformat(os.environ[name]) for name in ("DEMO_FROM", "DEMO_TO"))
    started = time.monotonic()
    failed = crawl_all(first, last)
    if failed:
        say(f"failed: crawl {', '.join(failed)} exited non-zero (see the lines above)")
        return 1
    say(f"crawled {first} .. {last} in {time.monotonic() - started:.0f} s")
    if not wait_for_loader(float(os.environ.get("DEMO_LOAD_TIMEOUT", "900"))):
        say("failed: the loader did not catch up")
        return 1
    say(f"loaded in {time.monotonic() - started:.0f} s")
    extra = shlex.split(os.environ.get("DEMO_SCORE_ARGS", ""))
    if insertcoin("score", "--from", first.isoformat(), "--to", last.isoformat(), *extra).wait() != 0:
        say("failed: score exited non-zero")
        return 1
    say(f"done: crawled, loaded and scored in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
