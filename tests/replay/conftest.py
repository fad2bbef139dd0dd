"""A small simulated world and replay servers (subprocesses on free loopback ports)."""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.replay.effects import EffectsConfig
from services.replay.simulate import build_world

AUTHKEY = "test-key-not-secret"
#: The real captures shipped with the replay site (copied byte for byte from the sources: SHA256SUMS).
BODIES = Path(__file__).resolve().parents[2] / "services/replay/recordings/bodies"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0", "Referer": "https://www.cnn.com/",
           "Accept": "application/json, text/plain, */*"}


def small_world(folder: Path, seed: int = 5) -> dict:
    return build_world(folder, stocks=40, start=dt.date(2026, 8, 3), end=dt.date(2026, 9, 30), seed=seed,
                       effects=EffectsConfig(movers_per_day=3), posts_per_day=0.3)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    small_world(folder)
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A running replay server: ``get(path)`` -> (status, headers, body)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "REPLAY_KOREAEXIM_AUTHKEY": AUTHKEY, **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "replay", "serve", "--port",
                                      str(self.port), *args], env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/__replay/health", timeout=1).read()
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"replay server exited: {self.proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        raise RuntimeError("replay server did not come up in 30 s")

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET",
            data: bytes | None = None, timeout: float = 10):
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(self.base + path, headers=headers or {}, method=method, data=data)
        try:
            with opener.open(request, timeout=timeout) as res:
                return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def world_server(world_dir):
    served = Served(["--world", str(world_dir), "--fx-daily-limit", "50"])
    yield served
    served.stop()


@pytest.fixture(scope="session")
def recordings_server():
    served = Served(["--recordings", str(Path(__file__).resolve().parents[2] / "services/replay/recordings")])
    yield served
    served.stop()


@pytest.fixture(scope="session")
def archived_server(world_dir):
    """The small world with the archived finance.naver.com pages."""
    served = Served(["--world", str(world_dir), "--legacy", "archived"])
    yield served
    served.stop()


@pytest.fixture(scope="session")
def financial_world(tmp_path_factory) -> Path:
    """A small world whose movers are planted by financial events (lag 0 and 1), with decoys and
    unexplained movers."""
    from services.replay.effects import Effect
    folder = tmp_path_factory.mktemp("finworld")
    build_world(folder, stocks=40, start=dt.date(2026, 7, 1), end=dt.date(2026, 8, 31), seed=9,
                effects=EffectsConfig(movers_per_day=3, decoys=0.5, unexplained_movers=0.34,
                                      effects=[Effect(medium="financial", lag=0), Effect(medium="financial", lag=1)]),
                posts_per_day=0.2)
    return folder


@pytest.fixture(scope="session")
def financial_server(financial_world):
    served = Served(["--world", str(financial_world), "--legacy", "archived"])
    yield served
    served.stop()
