"""Fixtures of the API, dashboard and watchlist tests: one scored database per session and a real
``insertcoin serve`` process on 127.0.0.1 reading it as the analyst role."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.api import world

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-key-1"
ARTIFACTS = ROOT / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def scored(stack_env, tmp_path_factory):
    """(urls per role, watchlist days) of a world loaded, scored and given watchlists."""
    folder = world.build(tmp_path_factory.mktemp("api-world"))
    urls, drop = world.create_database(stack_env)
    days = world.fill(urls, folder)
    yield urls, days
    drop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(analyst_url: str, *args: str, **env: str) -> tuple[subprocess.Popen, str]:
    """``insertcoin serve`` on a free port; returns (process, base URL) once /api/health answers."""
    port = free_port()
    environ = {**os.environ, "ANALYST_DATABASE_URL": analyst_url, "API_KEYS": f"{API_KEY},other-key",
               "API_RATE_LIMIT": "100000", **env}
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", "--port", str(port), *args],
                            cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited {proc.returncode}: {proc.stdout.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("serve did not answer /api/health within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def api(scored):
    """Base URL of a real server over the scored database."""
    proc, base = start_server(scored[0]["analyst"])
    yield base
    stop_server(proc)
