"""Crashes and restarts: kill -9 the loader mid-batch, again and again; SIGTERM finishes cleanly."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import psycopg2
import pytest

from tests.conftest import subprocess_env
from tests.loader.streams import daily_price, envelope_bytes, produce

pytestmark = pytest.mark.integration

UNIQUE = 200_000
DUPLICATES = 30_000  # re-sent records (same content, another run): must not double


_started: list[subprocess.Popen] = []


def _loader(settings, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "load", "--batch-size", "20000", *args],
                            env=subprocess_env(settings, LOG_LEVEL="WARNING"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _started.append(proc)
    return proc


@pytest.fixture(autouse=True)
def _no_loader_left():
    """A test that fails half-way leaves no loader behind (one still in the consumer group would
    hold its partitions, and stall the tests after it, until the group timed it out)."""
    yield
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            decoders = _children(proc.pid)
            proc.kill()
            proc.communicate()
            for pid in _alive(decoders):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> set[int]:
    """The processes a loader started (its decoders)."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            found |= set(map(int, children.read().split()))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except (ProcessLookupError, FileNotFoundError):
            pass
    return alive


def _outliving(pids: set[int], seconds: float = 5.0) -> set[int]:
    """Those of ``pids`` still running after a grace period (multiprocessing's resource tracker
    exits a moment after the last process holding its pipe)."""
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _table_state(settings) -> tuple[int, int, float]:
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT (code, trade_date)), coalesce(sum(close), 0) "
                    "FROM if_stock_daily_price")
        count, distinct, total = cur.fetchone()
        return count, distinct, float(total)


def test_given_loader_killed_repeatedly_mid_batch_when_restarted_then_every_record_is_there_once(settings):
    rng = random.Random(20261121)
    records = [daily_price(i) for i in range(UNIQUE)]
    messages = [envelope_bytes(r) for r in records]
    messages += [envelope_bytes(records[rng.randrange(UNIQUE)], "re-crawl") for _ in range(DUPLICATES)]
    rng.shuffle(messages)
    produce(settings, messages)
    expected_total = sum(r.close for r in records)

    kills = 0
    for _ in range(5):
        before = _table_state(settings)[0]
        proc = _loader(settings, "--until-idle")
        # Once this run has loaded something (a restart first waits for the killed member's
        # session to expire), kill it a moment later: inside a batch (COPY, upsert, offset commit).
        deadline = time.monotonic() + 60
        while _table_state(settings)[0] == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is not None:
            break  # caught up before we could kill it
        decoders = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        assert not _outliving(decoders), "the killed loader's decoder processes outlived it"
        count, distinct, _ = _table_state(settings)
        assert count == distinct  # never a doubled row, even mid-way
    assert kills >= 3, "the loader finished too fast to be killed mid-batch; raise UNIQUE"

    final = _loader(settings, "--until-idle", "--idle-seconds", "2")
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()[-2000:]
    count, distinct, total = _table_state(settings)
    assert (count, distinct) == (UNIQUE, UNIQUE)
    assert total == pytest.approx(expected_total, rel=1e-12)


def test_given_sigterm_when_loading_then_the_batch_in_hand_is_finished_and_the_loader_exits_cleanly(settings):
    produce(settings, [envelope_bytes(daily_price(i)) for i in range(60_000)])
    proc = _loader(settings)  # long-running: only a signal stops it
    deadline = time.monotonic() + 60
    while _table_state(settings)[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    decoders = _children(proc.pid)
    assert decoders, "the loader runs its decoders in processes of its own"
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert not _outliving(decoders), "a cleanly stopped loader stops its decoders"

    # What it committed is what it loaded: a restart loads exactly the rest, nothing twice.
    rest = _loader(settings, "--until-idle", "--idle-seconds", "1")
    out, err = rest.communicate(timeout=300)
    assert rest.returncode == 0, err.decode()[-2000:]
    count, distinct, _ = _table_state(settings)
    assert (count, distinct) == (60_000, 60_000)


def test_given_a_decoder_killed_when_loading_then_the_loader_fails_loudly_and_a_restart_loads_everything_once(settings):
    produce(settings, [envelope_bytes(daily_price(i)) for i in range(120_000)])
    proc = _loader(settings, "--until-idle", "--decoders", "2")
    deadline = time.monotonic() + 60
    while _table_state(settings)[0] == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the loader finished before a decoder could be killed"
    decoders = []
    for pid in _children(proc.pid):
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"spawn_main" in cmdline.read():
                decoders.append(pid)
    assert len(decoders) == 2
    os.kill(decoders[0], signal.SIGKILL)
    _out, err = proc.communicate(timeout=60)  # no hang: the broken pool ends the run
    assert proc.returncode != 0
    assert b"BrokenProcessPool" in err or b"terminated abruptly" in err, err.decode()[-2000:]
    count, distinct, _ = _table_state(settings)
    assert count == distinct and count < 120_000  # what it committed, once; not everything

    rest = _loader(settings, "--until-idle", "--idle-seconds", "1")
    _out, err = rest.communicate(timeout=300)
    assert rest.returncode == 0, err.decode()[-2000:]
    assert _table_state(settings)[:2] == (120_000, 120_000)
