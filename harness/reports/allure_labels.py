"""Allure labels and attachments for a judged scenario.

Allure groups results by these labels (property, rule ids as tags) and shows the
scenario ID as a parameter, so a report reader can filter "every R3 failure". The
calls are no-ops when pytest runs without --alluredir.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import allure

from harness.checks.verdict import Verdict
from harness.scenario.model import Scenario
from harness.targets.sides import Target

ATTACHMENTS = (("scenario.json", allure.attachment_type.JSON),
               ("history.json", allure.attachment_type.JSON),
               ("spacetimedb.log", allure.attachment_type.TEXT))


def label_target(target: Target) -> None:
    """Which system was judged: its name as a label, every pin as a parameter."""
    allure.dynamic.label("target", target.name)
    for key, value in target.pins.items():
        allure.dynamic.parameter(f"target.{key}", value)


def label_not_applicable(capabilities: Sequence[str], rules: Sequence[str]) -> None:
    """A scenario the target could not perform: what it lacks and which rules go unjudged."""
    allure.dynamic.label("not_applicable", ", ".join(capabilities))
    for rule_id in rules:
        allure.dynamic.tag(f"{rule_id}:not-applicable")


def label_scenario(scenario: Scenario, result: Verdict, target: Target,
                   artefacts: Path | None = None) -> None:
    label_target(target)
    allure.dynamic.label("property", scenario.property)
    for rule_id in scenario.rules:
        allure.dynamic.tag(rule_id)
    if not result.ok:
        allure.dynamic.parameter("scenario_id", scenario.id)
        allure.attach(result.explain(), name="verdict and diff",
                      attachment_type=allure.attachment_type.TEXT)
        for name, kind in ATTACHMENTS:
            if artefacts is not None and (artefacts / name).is_file():
                allure.attach.file(str(artefacts / name), name=name, attachment_type=kind)
