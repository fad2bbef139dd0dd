"""Tasks for the decoder pool tests: importable by the spawned decoders."""
import os
import platform
import signal
import threading
import time


def square(x: int) -> int:
    return x * x


def fail(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


WRITE = {"x86_64": "1", "aarch64": "64"}[platform.machine()]  # the write(2) syscall's number


def die_while_sending(size: int) -> bytes:
    """Return ``size`` bytes, and die half-way through sending them: a thread watches the main
    thread and kills the process once it is blocked in write(2), sending the result."""
    main = threading.get_native_id()

    def kill_mid_write() -> None:
        while True:
            with open(f"/proc/self/task/{main}/syscall") as syscall:
                if syscall.read().split(" ", 1)[0] == WRITE:
                    break
            time.sleep(0.0005)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=kill_mid_write, daemon=True).start()
    return b"x" * size
