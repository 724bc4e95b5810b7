"""Commands that need no container: re-check a stored run, save a scenario to scenarios/."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.commands.configured import configured, scenarios_dir
from harness.conformance import CHECKERS
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
        verdict = CHECKERS[scenario.property](scenario, history)
        print(f"{folder.name}: {verdict.explain()}")
        worst = max(worst, 0 if verdict.ok else 1)
    return worst


def scenario_save(args: argparse.Namespace) -> int:
    """Turn a generated scenario ID into a curated scenario file."""
    generated = decode(args.scenario_id)
    curated = Scenario(generated.property, generated.rules, generated.steps, args.name,
                       args.intent, tuple(args.tag or ()))
    path = save(curated, scenarios_dir(configured(args)))
    print(f"wrote {path}; next: stdb-harness golden update {args.name}")
    return 0
