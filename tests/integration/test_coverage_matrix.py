"""The reference under the pr profile reaches every clause that applies to it.

The coverage matrix (summary.json "clauses") is how a gap in generation shows: a clause
no scenario reached was never judged, whatever the verdict says. The reference has every
capability and opts into every family, so every clause applies, and pr must reach each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.checks.clauses import CLAUSES

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.container


def test_pr_exercises_every_clause_applicable_to_the_reference(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--reports-dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=1200,
                            check=False, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["clauses"]
    assert {row["clause"] for row in rows} == set(CLAUSES)
    inapplicable = [row["clause"] for row in rows if not row["applicable"]]
    assert not inapplicable, inapplicable
    never = sorted(row["clause"] for row in rows if not row["exercised"])
    assert not never, f"clauses pr never reached: {never}"
