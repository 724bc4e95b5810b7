"""Per-scenario artefact folders: everything needed to re-check or re-run without CI.

`reports/runs/<slug>/` holds the scenario (with its ID), the history, the verdict with
its explanation (as text, and as data for the summary's pages) and, for failures, the
server's log. `stdb-harness check <folder>`
re-runs the checkers on it with no container (Jepsen's `analyze`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.checks.verdict import Verdict
from harness.history import History
from harness.scenario.model import Scenario

VERDICT_JSON = "verdict.json"


def verdict_json(verdict: Verdict) -> dict[str, object]:
    """The verdict as data: each violation keeps the history index it cites (op_index) and
    whether it is relative, which the text form words away and the report needs."""
    return {"property": verdict.property_name, "rules": list(verdict.rules),
            "violations": [{"rule": v.rule, "message": v.message, "op_index": v.op_index,
                            "relative": v.relative} for v in verdict.violations],
            "follow_ons": [{"rule": v.rule, "message": v.message, "relative": v.relative}
                           for v in verdict.follow_ons]}


def slug(scenario_id: str) -> str:
    """A short folder name: the curated ID itself, or a digest of a generated one."""
    if scenario_id.startswith("stdb1."):
        return "gen-" + hashlib.sha256(scenario_id.encode()).hexdigest()[:12]
    return scenario_id


def store(root: Path, scenario: Scenario, history: History, verdict: Verdict,
          extra: dict[str, str] | None = None) -> Path:
    folder = root / "runs" / slug(scenario.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.json").write_text(
        json.dumps(scenario.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "id.txt").write_text(scenario.id + "\n", encoding="utf-8")
    history.save(folder / "history.json")
    (folder / "verdict.txt").write_text(verdict.explain() + "\n", encoding="utf-8")
    (folder / VERDICT_JSON).write_text(json.dumps(verdict_json(verdict), indent=1,
                                                  ensure_ascii=False), encoding="utf-8")
    for name, text in (extra or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
