"""The README's examples run as written, from a clone of this repository alone (no ../shared)."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _examples(command: str) -> list[list[str]]:
    return [shlex.split(m) for m in re.findall(rf"Example[^`]*`(insertcoin {command} [^`]+)`", README)]


def test_given_the_readme_parse_example_when_run_as_written_then_it_prints_the_capture_records():
    examples = _examples("parse")
    assert examples, "the README has a parse example"
    for argv in examples:
        for arg in argv:
            assert not arg.startswith("..") and "/../" not in arg, f"{arg} is outside the repository"
        done = subprocess.run([sys.executable, "-m", "shared.cli", *argv[1:]], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-1500:]
        records = [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]
        assert [(r["code"], r["trade_date"], r["close"]) for r in records] == [
            ("005930", "2026-09-28", 270000.0), ("005930", "2026-09-29", 273500.0)]
