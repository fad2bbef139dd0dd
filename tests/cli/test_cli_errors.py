"""Every command, given a common cause of failure, prints one line naming the cause and the fix
and exits with its documented code (README.md, "Exit codes"); no traceback unless LOG_LEVEL=DEBUG.
Each case runs the real command as a child process. The stack-down cases point at closed ports on
127.0.0.1, so they finish in seconds."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "services" / "replay" / "recordings" / "bodies" / "chart-day_005930_20260925-20260929.json"
DOWN_PG = "postgresql://insertcoin@127.0.0.1:1/insertcoin"
DOWN_KAFKA = "127.0.0.1:2"
UP = "`insertcoin stack up`"


@dataclass
class Ran:
    code: int
    lines: list[str]  # of stderr, but JSON logs and progress lines
    stderr: str
    seconds: float
    stdout: str


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60) -> Ran:
    """Run ``insertcoin *args`` with the stack's addresses pointing at closed ports, unless ``env``
    says otherwise."""
    full = {k: v for k, v in os.environ.items() if k not in ("ML_DATABASE_URL", "DATABASE_ADMIN_URL")}
    full.update({"DATABASE_URL": DOWN_PG, "KAFKA_BOOTSTRAP_SERVERS": DOWN_KAFKA, "LOG_LEVEL": "INFO", **(env or {})})
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "shared.cli", *args], env=full, capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout)
    lines = [line for line in done.stderr.splitlines()
             if line.strip() and not line.startswith("{") and not line.startswith("waiting up to")]
    return Ran(done.returncode, lines, done.stderr, time.perf_counter() - started, done.stdout)


KAFKA_DOWN = f"Kafka at {DOWN_KAFKA} does not answer (Connection refused): run {UP}"
PG_DOWN = "PostgreSQL at 127.0.0.1:1 does not answer (Connection refused): run " + UP

#: (args, extra env, exit code, the one line: it starts with this)
CASES = [
    (["load", "--wait", "1"], {}, 5, f"insertcoin load: {KAFKA_DOWN}"),
    (["migrate", "--wait", "1", "--url", DOWN_PG], {}, 5, f"insertcoin migrate: {PG_DOWN}"),
    (["score", "--latest", "--wait", "1"], {}, 5, f"insertcoin score: {PG_DOWN}"),
    (["report", "--from", "2026-09-01", "--to", "2026-09-30", "--out", "/tmp/none", "--wait", "1"], {}, 5,
     f"insertcoin report: {PG_DOWN}"),
    (["topics", "--wait", "1"], {}, 5, f"insertcoin topics: {KAFKA_DOWN}"),
    (["crawl", "fx"], {}, 5, f"insertcoin crawl: {KAFKA_DOWN}"),
    (["reparse", "--service", "fx"], {}, 5, f"insertcoin reparse: {KAFKA_DOWN}"),
    (["crawl", "fx"], {"CRAWL_MAX_BLOCKS": "0"}, 2,
     "fx: bad CRAWL_* setting: CRAWL_RETRY_TIMES must be >= 0 and CRAWL_MAX_BLOCKS >= 1"),
    (["crawl", "fx"], {"CRAWL_TIMEOUT": "soon"}, 2, "fx: bad CRAWL_* setting: CRAWL_TIMEOUT: Input should be"),
    (["crawl", "news", "--to", "2026-09-30"], {}, 2, "insertcoin crawl: --to needs --from"),
    (["crawl", "stockreport", "--codes", "005930,12345,abcdef"], {}, 2,
     "insertcoin crawl: argument --codes: not a listing code (6 digits or capital letters, e.g. 005930): 12345, "
     "abcdef"),
    (["crawl", "stockreport", "--date", "2026-13-01"], {}, 2,
     "insertcoin crawl: argument --date: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (["score", "--from", "2026-09-01"], {}, 2, "insertcoin score: --from needs --to"),
    (["score", "--from", "2026-09-30", "--to", "2026-09-01"], {}, 2,
     "insertcoin score: --to 2026-09-01 is before --from 2026-09-30"),
    (["simulate", "--stocks", "5", "--from", "2026-09-01", "--to", "2026-09-30", "--out", "/tmp/none"], {}, 2,
     "insertcoin simulate: --stocks 5: a world needs at least 10 securities"),
    (["simulate", "--effects", "/missing.yaml", "--from", "2026-09-01", "--to", "2026-09-30", "--out", "/tmp/none"],
     {}, 2, "insertcoin simulate: --effects /missing.yaml: no such file"),
    (["simulate", "--from", "2026-09-05", "--to", "2026-09-06", "--out", "/tmp/none"], {}, 2,
     "insertcoin simulate: no KRX trading day between 2026-09-05 and 2026-09-06"),
    (["replay", "serve", "--world", "/missing"], {}, 2,
     "insertcoin replay: /missing is not a world folder (no world.json): run insertcoin simulate"),
    (["schedule", "--cron", "61 * * * *", "--", "crawl", "fx"], {}, 2,
     "insertcoin schedule: --cron '61 * * * *' is not a cron expression"),
    (["schedule", "--cron", "10 16 * * 1-5", "--", "crawl", "nosuch"], {}, 2,
     "insertcoin crawl: argument service: invalid choice: 'nosuch'"),
    (["schedule", "--cron", "10 16 * * 1-5", "--", "nosuch"], {}, 2,
     "insertcoin schedule: give an insertcoin subcommand after --, one of crawl, load"),
    (["reparse", "--service", "nosuch"], {}, 2, "insertcoin reparse: argument --service: unknown service 'nosuch'"),
    (["reparse", "--parser", "nosuch"], {}, 2,
     "insertcoin reparse: argument --parser: unknown parser 'nosuch' (see insertcoin parse --list)"),
    (["parse", "naver-chart-day", str(CHART)], {}, 2,
     "insertcoin parse: naver-chart-day reads the response's URL (code, dates): give --url"),
    (["parse", "naver-chart-day", "/missing.json"], {}, 2, "insertcoin parse: cannot read /missing.json"),
    (["nosuch"], {}, 2, "insertcoin: argument COMMAND: invalid choice: 'nosuch'"),
]


@pytest.fixture(scope="module")
def finished() -> dict[int, tuple]:
    """Every case's command, run four at a time (each mostly waits on imports or a closed port)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {i: pool.submit(run_cli, *args, env=env) for i, (args, env, _, _) in enumerate(CASES)}
        return {i: future.result() for i, future in futures.items()}


@pytest.mark.parametrize("case", range(len(CASES)), ids=[" ".join(c[0][:3]) for c in CASES])
def test_given_a_common_cause_when_the_command_runs_then_one_line_and_its_exit_code(finished, case):
    _args, _env, code, line = CASES[case]
    ran = finished[case]
    assert (ran.code, len(ran.lines)) == (code, 1), ran.stderr[-2000:]
    assert ran.lines[0].startswith(line), ran.lines[0]
    assert "Traceback" not in ran.stderr and '"level":"critical"' not in ran.stderr


def test_given_the_stack_down_when_loading_with_defaults_then_it_says_so_within_seconds_with_a_progress_line():
    ran = run_cli("load")
    assert ran.code == 5 and ran.lines == [f"insertcoin load: {KAFKA_DOWN} (or check its address and that it is running)"]
    assert f"waiting up to 5s for Kafka at {DOWN_KAFKA} ..." in ran.stderr.splitlines()
    assert ran.seconds < 20  # 5 s of waiting, the rest is starting Python on a busy machine


def test_given_log_level_debug_when_a_command_fails_then_the_traceback_is_logged():
    ran = run_cli("simulate", "--stocks", "5", "--from", "2026-09-01", "--to", "2026-09-30", "--out", "/tmp/none",
                  env={"LOG_LEVEL": "DEBUG"})
    assert ran.code == 2 and len(ran.lines) == 1
    assert "Traceback" in ran.stderr
