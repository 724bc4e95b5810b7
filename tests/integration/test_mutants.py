"""Every mutant is caught by the pr profile (issue: prove the harness catches bugs).

Runs `stdb-harness mutants`, which runs the pr profile against each deliberately broken
implementation declared in the root pyproject.toml's [tool.stdb-harness.mutants],
and asserts all are caught, each first reported under a rule it declares; the reference
passing the same profile is asserted by the suite itself (harness/suite). It takes
minutes, so it runs in CI (where `CI` is set) or with --stdb-run-mutants, and otherwise says
loudly that it did not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.model import HarnessConfig


def test_every_mutant_is_caught_by_the_pr_profile(request: pytest.FixtureRequest,
                                                   tmp_path: Path,
                                                   harness_config: HarnessConfig) -> None:
    if not (os.environ.get("CI") or request.config.getoption("--stdb-run-mutants")):
        pytest.skip("MUTANT MATRIX NOT RUN: it runs in CI or with --stdb-run-mutants")
    # Two at a time: each run waits on containers and the server as much as it computes.
    result = subprocess.run([sys.executable, "-m", "harness.cli", "mutants", "--jobs", "2",
                             "--config", str(harness_config.path),
                             "--reports-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=3600, check=False)
    print(result.stdout)
    report = json.loads((tmp_path / "mutants.json").read_text())
    escaped = [row["name"] for row in report["mutants"] if row["status"] != "caught"]
    assert not escaped, f"not caught: {escaped}\n{result.stdout[-3000:]}"
    # caught for the right reason: the rule a user reads first is one the mutant breaks
    misnamed = {row["name"]: (row["first_rule"], row["rules"]) for row in report["mutants"]
                if row["first_rule"] not in row["rules"]}
    assert not misnamed, f"first reported under another rule: {misnamed}"
    assert report["total"] == len(harness_config.mutants) >= 31
    assert result.returncode == 0
