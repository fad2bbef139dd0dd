"""Crashes and restarts: kill -9 the loader mid-batch, again and again; SIGTERM finishes cleanly."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import psycopg2
import pytest

from tests.loader.processes import Loaders
from tests.loader.processes import children as _children
from tests.loader.processes import outliving as _outliving
from tests.loader.streams import daily_price, envelope_bytes, produce

pytestmark = pytest.mark.integration

UNIQUE = 200_000
DUPLICATES = 30_000  # re-sent records (same content, another run): must not double


_loaders = Loaders()


def _loader(settings, *args: str) -> subprocess.Popen:
    return _loaders.start(settings, *args)


@pytest.fixture(autouse=True)
def _no_loader_left():
    """A test that fails half-way leaves no loader behind."""
    yield
    _loaders.kill_all()


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
