"""The loader's decoder processes: a process pool that fails fast when one of them dies.

Why not ``concurrent.futures.ProcessPoolExecutor``: all its workers send their results through one
shared pipe. A worker killed while sending a result (a batch's COPY text is megabytes, so sending
takes a while) leaves half a message in that pipe and its lock taken: the pool's manager thread
waits for the rest of the message forever, never sees the death, and the loader hangs (reproduced
on CPython 3.11 by ``tests/loader/test_pool.py``). Here each decoder has a pipe of its own, with one
writer at each end, so a death at any moment is an end-of-file on that pipe: the batch in hand and
every batch after it fail with ``BrokenProcessPool``, the other decoders are stopped, and the
loader exits with an error instead of waiting.

Each decoder is fed by a thread of the loader that takes the next task from one queue (a free
decoder takes the next batch), sends it, and waits for its result; the pickling of tasks and
results happens in those threads, outside the loader's main loop. Tasks are pickled without the
memo (a batch is two lists of 50,000 byte strings: the memo was four fifths of the cost), so they
must not refer to themselves.
"""
from __future__ import annotations

import io
import multiprocessing
import pickle
import queue
import threading
import traceback
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

_STOP = None


def _dumps(task: tuple) -> memoryview:
    """``task`` pickled without the memo: each object is written where it occurs."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(task)
    return buffer.getbuffer()


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a decoder, kept as the text it printed there."""

    def __str__(self) -> str:
        return self.args[0]


def _serve(conn, initializer: Callable[[], None] | None) -> None:
    """A decoder's life: tasks in, results out, one at a time, until told to stop or until the
    loader's end of the pipe closes (the loader is gone)."""
    if initializer is not None:
        initializer()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is _STOP:
            return
        fn, args, kwargs = task
        try:
            reply = (True, fn(*args, **kwargs), None)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            reply = (False, exc, traceback.format_exc())
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a result or exception that does not pickle
            conn.send((False, RuntimeError(f"the decoder could not send its result back: {exc!r}"),
                       traceback.format_exc()))


class DecoderPool(Executor):
    """``processes`` spawned processes (not forked: the loader runs librdkafka's threads), each
    set up by ``initializer``; ``submit`` returns a future like any executor's."""

    def __init__(self, processes: int, *, initializer: Callable[[], None] | None = None,
                 name: str = "decoder") -> None:
        if processes < 1:
            raise ValueError("a decoder pool needs at least one process")
        context = multiprocessing.get_context("spawn")
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._broken: str | None = None
        self._shutdown = False
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self._feeders: list[threading.Thread] = []
        for n in range(processes):
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(target=_serve, args=(theirs, initializer), name=f"{name}-{n}", daemon=True)
            process.start()
            theirs.close()  # the decoder now holds the only other end: its death is our EOF
            feeder = threading.Thread(target=self._feed, args=(process, ours), name=f"{name}-{n}-feed", daemon=True)
            feeder.start()
            self.processes.append(process)
            self._feeders.append(feeder)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._lock:
            if self._broken:
                raise BrokenProcessPool(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot submit to a decoder pool after its shutdown")
            future: Future = Future()
            self._tasks.put((future, fn, args, kwargs))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if cancel_futures:
                self._fail_queued(None)
            if not self._shutdown:
                self._shutdown = True
                for _ in self._feeders:
                    self._tasks.put(_STOP)
        if wait:
            for feeder in self._feeders:
                feeder.join()
            for process in self.processes:
                process.join(timeout=10)
                if process.exitcode is None:  # stuck: it has had its chance
                    process.kill()
                    process.join()

    # ----------------------------------------------------------- feeder threads
    def _feed(self, process, conn) -> None:
        try:
            while True:
                task = self._tasks.get()
                if task is _STOP:
                    if self._broken is None:
                        try:
                            conn.send(_STOP)
                        except OSError:
                            pass
                    return
                future, fn, args, kwargs = task
                if not future.set_running_or_notify_cancel():
                    continue
                if self._broken:
                    future.set_exception(BrokenProcessPool(self._broken))
                    continue
                try:
                    conn.send_bytes(_dumps((fn, args, kwargs)))  # pickled whole before a byte is written
                    ok, value, remote = conn.recv()
                except (EOFError, OSError):
                    process.join(timeout=5)
                    self._break(process)
                    future.set_exception(BrokenProcessPool(self._broken))
                    continue
                except BaseException as exc:  # noqa: BLE001 - a task or result that does not pickle
                    future.set_exception(exc)
                    continue
                if ok:
                    future.set_result(value)
                else:
                    if remote:
                        value.__cause__ = RemoteTraceback(remote)
                    future.set_exception(value)
        finally:
            conn.close()

    def _break(self, process) -> None:
        """A decoder died: nothing more is decoded. The others are stopped (what they hold is
        failed by their own feeders) and every task waiting fails now."""
        with self._lock:
            if self._broken:
                return
            code = process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            self._broken = (f"decoder process {process.name} (pid {process.pid}) terminated abruptly "
                            f"({how}); the pool is not usable anymore")
            for other in self.processes:
                if other is not process and other.exitcode is None:
                    other.kill()
            self._fail_queued(BrokenProcessPool(self._broken))

    def _fail_queued(self, error: BaseException | None) -> None:
        """Fail (or, with no error, cancel) every task not yet taken; stop markers stay queued."""
        kept = 0
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is _STOP:
                kept += 1
                continue
            future = task[0]
            if error is None:
                future.cancel()
            elif future.set_running_or_notify_cancel():
                future.set_exception(error)
        for _ in range(kept):
            self._tasks.put(_STOP)
