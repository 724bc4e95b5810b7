"""The foreign example (examples/foreign) under the suite, through configuration alone.

A system nobody on the harness side wrote: its own reducer and table names, argument order,
key and hash formats, error texts, a volatile column, no compaction, a client that computes
stale cursors itself and a control service with its own login flow. The run must report
every planted defect with its rule, say what does not apply, and never crash; and nothing
in the harness or the stubs may know the example exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "foreign" / "stdb-harness.toml"

# The planted defects (examples/foreign/README.md) and the rule each breaks.
PLANTED = {
    "M1": "a redelivered run.step is folded again (module)",
    "P2": "a heartbeat while offline is counted (module)",
    "M6": "a checkpoint past the head is stored (module)",
    "R3": "the replay budget check is off by one (client)",
    "T5": "the alias ignores ttl_seconds (control service)",
}
# What the example lacks, and so must be reported as not applicable, never judged.
LACKS = {"module.compact", "module.resume_reducer", "control.api_v1_routes",
         "control.policy_toggle"}


@pytest.fixture(scope="module")
def foreign_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    reports = tmp_path_factory.mktemp("foreign-reports")
    started = time.monotonic()
    # Two worker processes, each with its own SpacetimeDB and stub services: a foreign
    # target must work sharded too, and its shrinking (each failing property's bounded by
    # the pr profile's 60 s shrink budget) halves in wall time.
    result = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--config", str(CONFIG),
                             "--workers", "2", "--reports-dir", str(reports)],
                            capture_output=True, text=True, timeout=1800, check=False, cwd=REPO)
    print(f"foreign example run: exit {result.returncode} in "
          f"{time.monotonic() - started:.1f}s\n{result.stdout[-3000:]}")
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return result.returncode, summary, result.stdout + result.stderr


def test_every_planted_defect_is_reported_with_its_rule(
        foreign_run: tuple[int, dict[str, Any], str]) -> None:
    code, summary, output = foreign_run
    assert code == 1, f"expected exit 1 (violations), got {code}\n{output[-3000:]}"
    broken = {rule for violation in summary["violations"] for rule in violation["rules"]}
    missing = {rule: what for rule, what in PLANTED.items() if rule not in broken}
    assert not missing, f"planted defects not reported: {missing}; reported {sorted(broken)}"


def test_each_planted_defect_is_its_own_violation_with_its_own_id(
        foreign_run: tuple[int, dict[str, Any], str]) -> None:
    """Five defects, five violations: each the first rule of a violation of its own, with
    its own minimal scenario ID (no defect hidden behind another's counterexample)."""
    _, summary, _ = foreign_run
    first = {violation["defect"].split(":")[0]: violation["id"]
             for violation in summary["violations"]}
    missing = sorted(set(PLANTED) - set(first))
    assert not missing, f"not reported as violations of their own: {missing}; {first}"
    assert len({first[rule] for rule in PLANTED}) == len(PLANTED)


def test_only_the_absolute_families_it_opted_into_are_judged(
        foreign_run: tuple[int, dict[str, Any], str]) -> None:
    """Its control service is judged by parity alone ([contract] leaves T out): T1-T4 never
    appear, so no exact status of §7 can mask the parity search that found T5."""
    _, summary, _ = foreign_run
    rules = {v["rule"] for violation in summary["violations"] for v in violation["violations"]}
    assert not rules & {"T1", "T2", "T3", "T4", "T6"}, rules
    matrix = {row["clause"]: row for row in summary["clauses"]}
    assert matrix["T3.ttl"]["in_profile"] is False and matrix["T5.api"]["in_profile"] is True
    assert matrix["T5.api"]["exercised"] > 0 and matrix["T5.api"]["violated"] > 0
    assert matrix["M4.compact"]["applicable"] is False


def test_the_run_names_the_target_and_never_crashes(
        foreign_run: tuple[int, dict[str, Any], str]) -> None:
    _, summary, output = foreign_run
    assert summary["target"]["target"] == "foreign-ledger"
    assert summary["target"]["config"] == str(CONFIG)
    assert summary["errors"] == 0, summary["harness_errors"]
    assert "Traceback" not in output.split("short test summary")[-1]
    for violation in summary["violations"]:
        assert f"--config {CONFIG}" in violation["explanation"]


def test_what_the_example_lacks_is_not_applicable(
        foreign_run: tuple[int, dict[str, Any], str]) -> None:
    _, summary, _ = foreign_run
    assert set(summary["capabilities_lacking"]) >= LACKS, summary["capabilities_lacking"]
    rows = {row["rule"]: row for row in summary["not_applicable"]}
    assert "module.compact" in rows["M4"]["lacks"]  # its curated compaction scenario


def test_nothing_in_the_harness_or_the_stubs_knows_the_example() -> None:
    tracked = subprocess.run(["git", "ls-files", "harness", "stub"], capture_output=True,
                             text=True, check=True, cwd=REPO).stdout.split()
    mentions = [path for path in tracked
                if any(word in (REPO / path).read_text(encoding="utf-8", errors="replace")
                       for word in ("examples/foreign", "examples.foreign", "ledger_",
                                    "foreign-ledger", "harness_adapters"))]
    assert not mentions, mentions
