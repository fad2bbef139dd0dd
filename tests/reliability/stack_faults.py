"""Faults on the local stack, through the same pidfiles and data folders ``insertcoin stack``
manages: restart the Kafka broker, restart PostgreSQL (``fast``: clients are disconnected and
transactions rolled back; ``immediate``: no shutdown at all, crash recovery on start)."""
from __future__ import annotations

import subprocess
import time

from shared import stack
from shared.settings import Settings


def restart_broker(settings: Settings) -> float:
    """Stop the broker (SIGTERM, as ``stack down`` does) and start it again; returns the seconds
    it was away."""
    started = time.monotonic()
    stack.kafka_down(settings)
    stack.kafka_up(settings)
    _wait_broker(settings)
    return time.monotonic() - started


def _wait_broker(settings: Settings) -> None:
    from shared.broker import wait_for_broker

    wait_for_broker(f"127.0.0.1:{settings.stack_kafka_port}", timeout=90)


def restart_postgres(settings: Settings, mode: str) -> float:
    """``pg_ctl restart -m fast|immediate`` on the stack's cluster; returns the seconds it took."""
    if mode not in ("fast", "immediate"):
        raise ValueError(mode)
    bindir = stack._pg_bindir()
    pg = stack._pg_dir(settings)
    started = time.monotonic()
    subprocess.run(stack._as_db_user([str(bindir / "pg_ctl"), "-D", str(pg / "data"), "-m", mode,
                                      "-l", str(pg / "postgres.log"), "-w", "-t", "60", "restart"]),
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started
