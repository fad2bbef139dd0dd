"""The deploy files generated from the crawler declarations (shared/crawlers.py, infra/generate.py)
are current, and no crawler's cron is written by hand anywhere else: product, deploy files, docs
and the AWS tests (other tests may use any valid cron as an example)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.crawlers import DECLARED, eventbridge

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"infra/cloudformation/crawlers.yaml", "docker-compose.yml", ".env.example"}


def test_given_the_declarations_when_generating_then_the_checked_in_files_are_current():
    result = subprocess.run([sys.executable, "infra/generate.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("cron, expected", [
    ("30 7 * * 1-5", "cron(30 7 ? * MON-FRI *)"), ("5 * * * *", "cron(5 * * * ? *)"),
    ("0 7 * * 2-6", "cron(0 7 ? * TUE-SAT *)"), ("0 8,12,16,20 * * *", "cron(0 8,12,16,20 * * ? *)"),
    ("0 9 * * 0,6", "cron(0 9 ? * SUN,SAT *)")])
def test_given_a_kst_cron_when_written_for_eventbridge_then_one_of_its_day_fields_is_a_question_mark(cron, expected):
    assert eventbridge(cron) == expected


def test_given_the_repository_then_no_crawler_cron_is_written_outside_its_declaration_and_the_generated_files():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    found = []
    for crawler in DECLARED:
        for needle in (f'"{crawler.cron}"', f"-{crawler.cron}}}", crawler.eventbridge_cron):
            for name in files:
                if name in GENERATED or name == "shared/crawlers.py" or (
                        name.startswith("tests/") and not name.startswith("tests/aws/")) or not name.endswith(
                        (".py", ".yml", ".yaml", ".md", ".sh", ".example", "Makefile")):
                    continue
                if needle in (ROOT / name).read_text(errors="ignore"):
                    found.append(f"{name}: {crawler.command} {needle}")
    assert found == []
