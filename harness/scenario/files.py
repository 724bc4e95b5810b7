"""Curated scenarios: JSON files in scenarios/, one per ID, each with its intent and rules.

A file's name is its ID. Loading validates everything (shape, rule ids, steps), because
a typo in a hand-written scenario must stop the run with a message naming the file,
not produce a verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.contract.canonical import canonical_json
from harness.contract.rules import UnknownRuleError, rule
from harness.scenario.model import Scenario
from harness.scenario.steps import MalformedScenario

__all__ = ["MalformedScenario", "curated", "find", "load_file", "save"]

READ_HINT = "a scenario is a JSON object with id, intent, property, rules and steps"


def _identity_problems(data: Any, path: Path) -> list[str]:
    """What is wrong with a file's id, intent and rules."""
    found: list[str] = []
    if data.get("id", "") != path.stem:
        found.append(f"id {data.get('id', '')!r} differs from the file name {path.stem!r}")
    if not data.get("intent", ""):
        found.append("intent is empty: say what the scenario is for")
    for rule_id in data["rules"]:
        try:
            rule(rule_id)
        except UnknownRuleError:
            found.append(f"unknown rule id {rule_id!r}")
    return found


def load_file(path: Path) -> Scenario:
    scenario: Scenario | None = None
    found: list[str] = []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            scenario = Scenario.from_json(data)
        except MalformedScenario as exc:
            found += exc.problems
        found += _identity_problems(data, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedScenario(f"{path}: cannot read scenario ({type(exc).__name__}: {exc})",
                                READ_HINT) from exc
    if found or scenario is None:
        raise MalformedScenario(f"{path}: " + "; ".join(found),
                                "fix the file; rule ids are those of CONTRACT.md, the ops and "
                                "their fields those of harness/scenario/steps.py",
                                problems=found)
    return scenario


def curated(property_name: str | None, folder: Path) -> list[Scenario]:
    """Every curated scenario (of one property), sorted by ID."""
    found = [load_file(path) for path in sorted(folder.glob("*.json"))]
    return [s for s in found if property_name is None or s.property == property_name]


def find(scenario_id: str, folder: Path) -> Scenario | None:
    path = folder / f"{scenario_id}.json"
    return load_file(path) if path.is_file() else None


def save(scenario: Scenario, folder: Path) -> Path:
    """Write a curated scenario; canonical key order keeps diffs of these files small."""
    path = folder / f"{scenario.id}.json"
    text = json.dumps(json.loads(canonical_json(scenario.to_json())), indent=2,
                      ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
