"""The decoder pool: results and errors come back, and a decoder's death at any moment fails the
pool at once (ProcessPoolExecutor hangs forever when a worker dies while sending its result)."""
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from services.loader.pool import DecoderPool, RemoteTraceback
from tests.loader import pool_tasks


@pytest.fixture
def pool():
    pool = DecoderPool(2)
    yield pool
    pool.shutdown(wait=True)
    assert all(p.exitcode is not None for p in pool.processes), "a decoder outlived its pool"


def test_given_tasks_when_submitted_then_each_future_has_its_own_result(pool):
    futures = [pool.submit(pool_tasks.square, i) for i in range(50)]
    assert [f.result(timeout=30) for f in futures] == [i * i for i in range(50)]
    # a free decoder takes the next task: two naps overlap
    started = time.monotonic()
    naps = [pool.submit(pool_tasks.nap, 0.5) for _ in range(2)]
    assert [f.result(timeout=30) for f in naps] == [0.5, 0.5]
    assert time.monotonic() - started < 0.9


def test_given_a_task_that_raises_when_submitted_then_its_future_carries_the_error_and_the_pool_goes_on(pool):
    with pytest.raises(ValueError, match="bad batch") as raised:
        pool.submit(pool_tasks.fail, "bad batch").result(timeout=30)
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "pool_tasks.py" in str(raised.value.__cause__)  # where it was raised, in the decoder
    assert pool.submit(pool_tasks.square, 3).result(timeout=30) == 9


@pytest.mark.parametrize("task, args", [(pool_tasks.die, ()), (pool_tasks.die_while_sending, (256 << 20,))],
                         ids=["mid-task", "mid-send"])
def test_given_a_decoder_killed_when_it_holds_a_task_then_every_pending_task_fails_at_once(pool, task, args):
    started = time.monotonic()
    busy = pool.submit(pool_tasks.nap, 30.0)  # the other decoder
    doomed = pool.submit(task, *args)
    behind = [pool.submit(pool_tasks.square, i) for i in range(5)]
    with pytest.raises(BrokenProcessPool, match=r"terminated abruptly \(killed by signal 9\)"):
        doomed.result(timeout=60)
    with pytest.raises(BrokenProcessPool):  # the other decoder is stopped, not waited for
        busy.result(timeout=60)
    for future in behind:
        with pytest.raises(BrokenProcessPool):
            future.result(timeout=30)
    assert time.monotonic() - started < 20.0  # not the 30 s nap: its decoder was stopped
    with pytest.raises(BrokenProcessPool):
        pool.submit(pool_tasks.square, 2)


def test_given_a_task_that_refers_to_itself_when_submitted_then_its_future_fails_and_the_pool_goes_on(pool):
    loop: list = []
    loop.append(loop)  # tasks are pickled without the memo: a cycle cannot be sent
    with pytest.raises((ValueError, RecursionError)):
        pool.submit(pool_tasks.square, loop).result(timeout=30)
    assert pool.submit(pool_tasks.square, 4).result(timeout=30) == 16


def test_given_a_shutdown_when_tasks_are_queued_then_they_finish_first_and_the_decoders_exit(pool):
    futures = [pool.submit(pool_tasks.square, i) for i in range(10)]
    pool.shutdown(wait=True)
    assert [f.result(timeout=0) for f in futures] == [i * i for i in range(10)]
    assert [p.exitcode for p in pool.processes] == [0, 0]
    with pytest.raises(RuntimeError, match="after its shutdown"):
        pool.submit(pool_tasks.square, 1)
