"""cfn-lint reports nothing on any template (run as the command line runs it: errors and warnings)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.aws.cfn import STACK_ORDER, TEMPLATES


def test_given_the_template_folder_then_it_holds_exactly_the_documented_stacks():
    assert sorted(p.stem for p in TEMPLATES.glob("*.yaml")) == sorted(STACK_ORDER)


def test_given_every_template_when_cfn_lint_runs_then_it_reports_nothing():
    paths = [str(TEMPLATES / f"{stack}.yaml") for stack in STACK_ORDER]
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, *paths],
                            capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
