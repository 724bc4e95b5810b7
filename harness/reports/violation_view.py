"""Everything a page shows of one violation, gathered from its artefact folder into JSON.

Built when the summary is written, while the artefacts are at hand, and stored in
summary.json: the HTML and Markdown pages then render from the summary alone, and a
summary copied off a CI machine still tells the whole story. Where the folder is gone the
scenario ID itself still gives the steps (a generated ID is the scenario), without answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.history import History
from harness.reports.answers import answers
from harness.reports.artefacts import VERDICT_JSON
from harness.reports.compared_snapshots import snapshot_differences
from harness.reports.step_table import step_of, step_rows
from harness.reports.timeline import timeline
from harness.scenario.ids import decode, is_generated_id
from harness.scenario.model import Scenario

# What a damaged or foreign artefact folder can raise while being read and laid out: the
# page then says so in place of the drawing, and the run's verdict stands as recorded.
UNREADABLE = (OSError, ValueError, LookupError, TypeError, HarnessError)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_run(folder: Path) -> tuple[Scenario, History, list[dict[str, Any]] | None]:
    """The stored scenario, history and verdict's violations (None: no verdict.json)."""
    scenario = Scenario.from_json(_read_json(folder / "scenario.json"))
    history = History.from_json(_read_json(folder / "history.json"))
    verdict = folder / VERDICT_JSON
    stored = _read_json(verdict)["violations"] if verdict.is_file() else None
    return scenario, history, stored


def _follow_ons(folder: Path) -> list[dict[str, Any]]:
    verdict = folder / VERDICT_JSON
    found: list[dict[str, Any]] = (_read_json(verdict).get("follow_ons", [])
                                   if verdict.is_file() else [])
    return found


def _empty(note: str) -> dict[str, Any]:
    return {"note": note, "rules": [], "steps": [],
            "timeline": {"lanes": [], "rows": [], "end": {}}, "diff": [], "violations": []}


def view(scenario: Scenario, history: History | None,
         violations: Sequence[Mapping[str, Any]], note: str = "") -> dict[str, Any]:
    """The step table, timeline, snapshot differences and violations (each with the step it
    is about) of one judged scenario."""
    found = answers(scenario, history)
    return {
        "note": note,
        "rules": list(dict.fromkeys(str(v["rule"]) for v in violations)),  # the bug's first
        "steps": step_rows(scenario, found, violations, history),
        "timeline": timeline(scenario, history, found, violations),
        "diff": snapshot_differences(scenario, history) if history is not None else [],
        "violations": [{"rule": str(v["rule"]), "message": str(v["message"]),
                        "relative": bool(v.get("relative", False)),
                        "step": step_of(v, scenario, history)} for v in violations],
    }


def violation_view(scenario_id: str, artefacts: str,
                   violations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The view of a recorded violation: from its artefact folder, else from its ID alone."""
    folder = Path(artefacts) if artefacts else None
    try:
        if folder is not None and (folder / "scenario.json").is_file():
            scenario, history, stored = load_run(folder)
            return {**view(scenario, history, stored if stored is not None else violations),
                    "follow_ons": _follow_ons(folder)}
        if is_generated_id(scenario_id):
            return view(decode(scenario_id), None, violations,
                        "no artefacts at hand: the steps come from the scenario ID alone")
    except UNREADABLE as exc:
        return _empty(f"the artefacts could not be laid out ({type(exc).__name__}: {exc}); "
                      "the verdict above stands as recorded")
    return _empty("no artefacts and no generated scenario ID: nothing to lay out")
