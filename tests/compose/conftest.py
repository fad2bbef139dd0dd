"""The compose test's fixture: a real Docker daemon and Compose (infra/images/ensure-docker.sh),
the stand-in base images (infra/images/standins.sh), and a compose project of the test's own,
torn down (containers, network, volumes) however the test ends."""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = Path(__file__).with_name("internal-network.yml")
#: The test's world: small, but long enough for the ML worker's first refit (--min-train 30).
WORLD = {"DEMO_STOCKS": "40", "DEMO_FROM": "2026-03-02", "DEMO_TO": "2026-05-29", "DEMO_SEED": "5",
         "DEMO_SCORE_ARGS": "--min-train 30 --permutations 19"}


#: Host variables the scripts and Docker may need; nothing else reaches compose's interpolation.
KEEP = {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "CACHE_DIR", "DOCKER_CONFIG", "GOPATH", "GOMODCACHE",
        "GOPROXY", "GOFLAGS", "GOTOOLCHAIN", "SSL_CERT_FILE", "SSL_CERT_DIR", "INSERTCOIN_COMPOSE_IMAGES"}


def pytest_configure(config):
    config.addinivalue_line("markers", "compose: builds the images and runs docker compose for real")


def _script(name: str, env: dict[str, str], timeout: float, *args: str) -> str:
    result = subprocess.run(["bash", str(ROOT / "infra" / "images" / name), *args], env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{name} exited {result.returncode}: {result.stderr[-3000:]}"
    return result.stdout


def _prebuild(env: dict[str, str]) -> None:
    args = ["--build-arg", f"PYTHON_IMAGE={env.get('PYTHON_IMAGE', 'python:3.11-slim-bookworm')}",
            "--build-arg", f"EXTRA_CA_CERTS={env.get('EXTRA_CA_CERTS', '')}", "-f", "infra/Dockerfile", "."]
    for target in ("app", "app-browser"):
        result = subprocess.run(["docker", "build", "-q", "--target", target, *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, f"docker build --target {target}: {result.stderr[-3000:]}"


@dataclass
class Project:
    """One compose project: `compose(...)` runs `docker compose` with its env files and profile."""

    name: str
    env: dict[str, str]
    env_file: Path
    timings: dict[str, float] = field(default_factory=dict)

    def compose(self, *args: str, demo: bool = True, timeout: float = 300, check: bool = True
                ) -> subprocess.CompletedProcess:
        files = ["--env-file", str(self.env_file)]
        if demo:
            files += ["--env-file", str(ROOT / ".env.demo"), "--profile", "demo"]
        result = subprocess.run(["docker", "compose", *files, *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, f"docker compose {' '.join(args)}: {result.stderr[-3000:]}"
        return result

    def psql(self, sql: str) -> list[list[str]]:
        out = self.compose("exec", "-T", "postgres", "psql", "-U", "insertcoin_admin", "-d", "insertcoin",
                           "-tA", "-F", "\t", "-c", sql).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def containers(self, demo: bool = True) -> dict[str, dict]:
        """service -> {State, Health, ExitCode, ...} of every container, running or not."""
        import json

        out = self.compose("ps", "-a", "--format", "json", demo=demo).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return {row["Service"]: row for row in rows}

    def wait_for(self, predicate, what: str, timeout: float, demo: bool = True) -> dict[str, dict]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.containers(demo)
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout:.0f} s: "
                                     f"{ {s: (c['State'], c.get('Health')) for s, c in state.items()} }")
            time.sleep(2)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    # Only the machine's own settings: a variable of the shell outranks the env files in compose,
    # so the host's stack settings (KAFKA_*, *_URL, ...) must not leak into the project.
    env = {name: value for name, value in os.environ.items() if name in KEEP or name.lower().endswith("_proxy")}
    timings = {}
    started = time.monotonic()
    _script("ensure-docker.sh", env, 600, "--no-compose")  # the daemon
    # Compose (from the Go module proxy) and the stand-in images (from Debian's mirror), side by side.
    compose = subprocess.Popen(["bash", str(ROOT / "infra" / "images" / "ensure-docker.sh")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ca = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    if ca:  # the machine's egress proxy re-signs TLS: pip in the build must trust it
        env["EXTRA_CA_CERTS"] = "".join(p.read_text() for p in ca)
    try:
        if os.environ.get("INSERTCOIN_COMPOSE_IMAGES") != "official":  # a machine that reaches Docker Hub may say so
            for line in _script("standins.sh", env, 1200).splitlines():
                key, _, value = line.partition("=")
                env[key] = value
        # While Compose may still be compiling, the app images' layers go into Docker's cache with
        # the same Dockerfile and build args: compose's own build (infra/compose-demo.sh) then
        # finds every layer there.
        if compose.poll() is None:
            _prebuild(env)
    finally:
        _, err = compose.communicate(timeout=1200)
    assert compose.returncode == 0, f"ensure-docker.sh exited {compose.returncode}: {err[-3000:]}"
    timings["docker_and_standins_s"] = time.monotonic() - started
    folder = tmp_path_factory.mktemp("compose")
    env_file = folder / ".env"  # written by infra/compose-demo.sh, as on a fresh laptop
    name = f"insertcoin-test-{uuid.uuid4().hex[:8]}"
    env.update(WORLD, COMPOSE_PROJECT_NAME=name, COMPOSE_FILE=f"docker-compose.yml:{OVERLAY}", ENV_FILE=str(env_file),
               IMAGE_TAG="compose-test")
    proj = Project(name, env, env_file, timings)
    try:
        yield proj
    finally:
        proj.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=300, check=False)
