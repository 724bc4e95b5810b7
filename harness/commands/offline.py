"""Commands that need no container: re-check a stored run, save a scenario to scenarios/."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.checks.verdict import within_profile
from harness.commands.configured import configured, scenarios_dir
from harness.conformance import CHECKERS
from harness.contract.rules import RULE_FAMILIES
from harness.errors import HarnessError
from harness.history import History
from harness.scenario.files import save
from harness.scenario.ids import decode
from harness.scenario.model import Scenario
from harness.scenario.steps import MalformedScenario


def check(args: argparse.Namespace) -> int:
    """Re-run the checkers on stored artefacts (`reports/runs/<slug>`), Jepsen's analyze."""
    folders = [Path(args.run_dir)]
    if not (folders[0] / "history.json").is_file():
        folders = sorted(p.parent for p in Path(args.run_dir).glob("**/history.json"))
    if not folders:
        raise HarnessError(f"{args.run_dir} holds no stored run (history.json)",
                           "pass a folder under reports/runs/")
    worst = 0
    for folder in folders:
        try:
            scenario = Scenario.from_json(json.loads((folder / "scenario.json").read_text()))
            history = History.from_json(json.loads((folder / "history.json").read_text()))
        except MalformedScenario as exc:
            raise MalformedScenario(f"{folder / 'scenario.json'}: {exc.message}", exc.hint,
                                    exc.problems) from exc
        except (OSError, ValueError, KeyError) as exc:
            raise HarnessError(f"{folder}: cannot read the stored run ({exc})",
                               "the folder must hold scenario.json and history.json") from exc
        if scenario.property not in CHECKERS:
            raise HarnessError(f"{folder}: no checker for {scenario.property!r}", "")
        verdict = within_profile(CHECKERS[scenario.property](scenario, history),
                                 _stored_profile(folder))
        print(f"{folder.name}: {verdict.explain()}")
        worst = max(worst, 0 if verdict.ok else 1)
    return worst


def _stored_profile(folder: Path) -> frozenset[str]:
    """The rule families the judged target opted into, as its stored pins say; a run
    stored without them is judged by every family, as the reference is."""
    pins = folder / "target.json"
    if pins.is_file():
        stored = json.loads(pins.read_text(encoding="utf-8"))
        if "contract.absolute" in stored:
            return frozenset(str(stored["contract.absolute"]).split())
    return frozenset(RULE_FAMILIES)


def scenario_save(args: argparse.Namespace) -> int:
    """Turn a generated scenario ID into a curated scenario file."""
    generated = decode(args.scenario_id)
    curated = Scenario(generated.property, generated.rules, generated.steps, args.name,
                       args.intent, tuple(args.tag or ()))
    path = save(curated, scenarios_dir(configured(args)))
    print(f"wrote {path}; next: stdb-harness golden update {args.name}")
    return 0
