"""Each property fails on a deliberately broken implementation, and `repro` reproduces it
from the scenario ID alone.

The IDs in detection_ids.json were printed by the pr profile running against the mutants
named beside them (`stdb-harness run --mutant NAME`). Here each is replayed through the
real CLI on fresh containers: against its mutant it must be a violation (exit 1, the ID
printed first, the expected rules), against the reference conformant (exit 0). A harness
whose checker went blind, or an ID encoding that lost information, fails this test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "detection_ids.json").read_text(encoding="utf-8"))


def repro(scenario_id: str, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "repro", scenario_id,
                           "--reports-dir", str(reports), *extra],
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("property_name", sorted(CASES))
def test_the_property_catches_its_mutant_and_repro_reproduces_it(
    property_name: str, tmp_path: Path
) -> None:
    case = CASES[property_name]
    broken = repro(case["id"], tmp_path / "mutant", "--mutant", case["mutant"])
    assert broken.returncode == 1, broken.stdout[-2000:] + broken.stderr[-2000:]
    first_violation = next(line for line in broken.stdout.splitlines()
                           if line.startswith("VIOLATION"))
    assert f"SCENARIO ID: {case['id']}" in first_violation
    summary = json.loads((tmp_path / "mutant" / "summary.json").read_text())
    assert set(case["rules"]) <= set(summary["violations"][0]["rules"])

    reference = repro(case["id"], tmp_path / "reference")
    assert reference.returncode == 0, reference.stdout[-2000:] + reference.stderr[-2000:]
