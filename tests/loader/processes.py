"""Loader child processes for the crash and fault tests: start ``insertcoin load``, find its
decoder processes, kill it outright, and make sure none is left behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import subprocess_env


class Loaders:
    """The loaders a test started; ``kill_all`` leaves none behind (one still in the consumer group
    would hold its partitions, and stall the tests after it, until the group timed it out)."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, settings, *args: str, batch_size: int = 20_000, log: Path | None = None,
              **env: str) -> subprocess.Popen:
        """``insertcoin load``; its output in pipes (read them: a long run that logs a lot would
        block on a full pipe), or appended to ``log``."""
        out = subprocess.PIPE if log is None else open(log, "ab")  # noqa: SIM115 - the child holds it
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "load", "--batch-size", str(batch_size), *args],
                                env=subprocess_env(settings, **{"LOG_LEVEL": "WARNING", **env}),
                                stdout=out, stderr=subprocess.STDOUT if log is not None else subprocess.PIPE)
        if log is not None:
            out.close()
        self.started.append(proc)
        return proc

    def kill_all(self) -> None:
        while self.started:
            proc = self.started.pop()
            if proc.poll() is None:
                kill(proc)
            proc.communicate()


def kill(proc: subprocess.Popen) -> set[int]:
    """kill -9 a loader (and, should they linger, its decoders); returns the decoders' pids."""
    decoders = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for pid in alive(outliving(decoders, 2.0)):
        os.kill(pid, signal.SIGKILL)
    return decoders


def children(pid: int) -> set[int]:
    """The processes a loader started (its decoders)."""
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                found |= set(map(int, listed.read().split()))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    living.add(pid)
        except (ProcessLookupError, FileNotFoundError):
            pass
    return living


def outliving(pids: set[int], seconds: float = 5.0) -> set[int]:
    """Those of ``pids`` still running after a grace period (multiprocessing's resource tracker
    exits a moment after the last process holding its pipe)."""
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)
