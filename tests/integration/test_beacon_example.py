"""The beacon example (examples/beacon), a second system of another team, through its
configuration alone: a module shaped unlike the reference (a column missing, columns of
its own, no projection tables) driven by the stub publisher, and a control service alone,
started by command with its port in its environment.

Each planted defect must be reported once, under its own rule, with its own ID;
nothing else may be reported (no difference that only follows from a planted defect, none
from the module's shape); no harness error; and nothing of the reference in the control
service's report. The service runs twenty times in a row: a command-mode service once
ended most runs as a harness error, and a flake would show here.
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
EXAMPLE = REPO / "examples" / "beacon"

# The planted defects (examples/beacon/README.md): the finding each is reported as.
FEED_DEFECTS = {
    "M1: intrude not answered unauthorized": "record_event has no caller check",
    "E5: bad_hash not answered invalid_event": "the checksum is never recomputed",
}
GATE_DEFECTS = {"T6": "the retired alias is still mounted and listed in OpenAPI"}

pytestmark = pytest.mark.container


def run(config: Path, reports: Path) -> tuple[int, dict[str, Any], str]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--config", str(config),
                             "--reports-dir", str(reports)], capture_output=True, text=True,
                            timeout=1800, check=False, cwd=REPO)
    print(f"{config.name}: exit {result.returncode} in {time.monotonic() - started:.1f}s")
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return result.returncode, summary, result.stdout + result.stderr


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return run(EXAMPLE / "feed.toml", tmp_path_factory.mktemp("feed"))


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return run(EXAMPLE / "gate.toml", tmp_path_factory.mktemp("gate"))


def _defects(summary: dict[str, Any]) -> dict[str, str]:
    return {v["defect"]: v["id"] for v in summary["violations"]}


def test_each_planted_module_defect_is_one_finding_and_nothing_else(
        feed: tuple[int, dict[str, Any], str]) -> None:
    code, summary, output = feed
    assert code == 1, output[-3000:]
    found = _defects(summary)
    assert set(found) == set(FEED_DEFECTS), f"reported {sorted(found)}"
    assert len(set(found.values())) == len(FEED_DEFECTS)  # each its own scenario ID
    assert summary["errors"] == 0, summary["harness_errors"]
    for finding in summary["violations"]:
        # one rule per finding: what follows from it (a conflict after the accepted bad
        # checksum) is not a finding of its own
        assert [v["rule"] for v in finding["violations"]] == [finding["defect"].split(":")[0]]


def test_the_module_shape_is_not_applicable_not_a_difference(
        feed: tuple[int, dict[str, Any], str]) -> None:
    _, summary, _ = feed
    lacking = summary["capabilities_lacking"]
    for part in ("module.tables.run_summary", "module.tables.worker_status",
                 "module.tables.sync_event.kind", "module.tables.stream_head.oldest_seq"):
        assert part in lacking, sorted(lacking)
    matrix = {row["clause"]: row for row in summary["clauses"]}
    assert matrix["P1.step"]["applicable"] is False
    assert "module.tables.run_summary" in matrix["P1.step"]["lacks"]
    assert matrix["M3.unique"]["exercised"] > 0 and matrix["M3.unique"]["violated"] == 0
    assert matrix["B1.delivered"]["exercised"] > 0 and matrix["B1.delivered"]["violated"] == 0


def test_held_to_the_relative_rules_alone_the_module_breaks_none(tmp_path: Path) -> None:
    """Both planted defects break absolute rules only (M1's caller check, E5's hash): a
    profile without E and M must report nothing, no follow-on of an accepted bad hash
    either (a rebuild from the journal cannot hold what the original was forged with)."""
    text = (EXAMPLE / "feed.toml").read_text(encoding="utf-8")
    text = text.replace('crate = "module"', f'crate = "{EXAMPLE / "module"}"')
    text = text.replace('absolute = ["E", "S", "M", "B", "G"]', 'absolute = ["S", "B", "G"]')
    config = tmp_path / "feed-relative.toml"
    config.write_text(text, encoding="utf-8")
    code, summary, output = run(config, tmp_path / "reports")
    assert (code, summary["violations"], summary["errors"]) == (0, [], 0), output[-3000:]


def test_the_control_service_alone_is_judged_by_its_declared_retirement(
        gate: tuple[int, dict[str, Any], str]) -> None:
    code, summary, output = gate
    assert code == 1, output[-3000:]
    assert set(_defects(summary)) == set(GATE_DEFECTS)
    assert summary["errors"] == 0, summary["harness_errors"]
    matrix = {row["clause"]: row for row in summary["clauses"]}
    assert matrix["T6.api"]["in_profile"] and matrix["T6.api"]["violated"] > 0
    assert matrix["T5.api"]["applicable"] is False  # a retired alias has no parity to hold


def test_no_reference_verdict_appears_in_the_control_services_report(
        gate: tuple[int, dict[str, Any], str]) -> None:
    _, summary, _ = gate
    assert summary["target"]["target"] == "beacon-gate"
    assert not any(key.startswith("module.") for key in summary["target"])
    assert summary["run"]["spacetimedb"].startswith("none")
    assert {v["property"] for v in summary["violations"]} == {"token_parity"}
    judged = {name for name, p in summary["properties"].items() if p["scenarios"]}
    assert judged == {"token_parity"}, summary["properties"]


def test_twenty_command_mode_runs_give_one_verdict_and_no_harness_error(
        tmp_path: Path) -> None:
    verdicts = set()
    for number in range(20):
        code, summary, output = run(EXAMPLE / "gate.toml", tmp_path / str(number))
        assert code == 1 and summary["errors"] == 0, output[-3000:]
        verdicts.add(tuple(sorted(_defects(summary).items())))
    assert len(verdicts) == 1, verdicts
