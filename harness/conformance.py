"""Judge one scenario: run it against the target, check it, compare its golden, report.

This is where drivers and checkers meet. The order is Jepsen's: record everything
first, then judge the record. A violation raises `ContractViolation`, whose message
starts with the self-contained scenario ID so that a CI log's first line is enough to
reproduce the failure (`stdb-harness repro <ID>`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import golden
from harness.checks import idempotence, rebuild, stale_cursor, token_scenario
from harness.checks.snapshot_diff import diff_lines
from harness.checks.verdict import Verdict, Violation, verdict
from harness.history import History
from harness.reports.allure_labels import label_scenario
from harness.reports.artefacts import store
from harness.reports.records import RECORDER, ScenarioRecord
from harness.runner.environment import RunEnvironment
from harness.runner.module import run_module_scenario
from harness.runner.resume import run_resume_scenario
from harness.runner.runtime_scenario import run_runtime_scenario
from harness.runner.token_scenario import run_token_scenario
from harness.scenario.ids import encode, is_generated_id
from harness.scenario.model import Scenario, with_id

Checker = Callable[[Scenario, History], Verdict]
Runner = Callable[[Scenario, RunEnvironment], History]

CHECKERS: Mapping[str, Checker] = {
    "idempotence": idempotence.check,
    "rebuild": rebuild.check,
    "stale_cursor": stale_cursor.check,
    "token_parity": token_scenario.check,
}
def run_delivery_scenario(scenario: Scenario, env: RunEnvironment) -> History:
    """The harness delivers itself, or (with `via_runtime`) the stub runtime's publisher."""
    if scenario.count("via_runtime"):
        return run_runtime_scenario(scenario, env)
    return run_module_scenario(scenario, env)


RUNNERS: Mapping[str, Runner] = {
    "idempotence": run_delivery_scenario,
    "rebuild": run_module_scenario,
    "stale_cursor": run_resume_scenario,
    "token_parity": lambda scenario, env: run_token_scenario(scenario, env.control_target()),
}


class ContractViolation(AssertionError):
    """The system under test broke a rule; never raised for a harness problem."""

    def __init__(self, scenario: Scenario, result: Verdict, artefacts: Path) -> None:
        super().__init__(f"SCENARIO ID: {scenario.id}\n{result.explain()}\n"
                         f"artefacts: {artefacts}\n"
                         f"reproduce: stdb-harness repro '{scenario.id}'")
        self.scenario = scenario
        self.verdict = result


def golden_violations(scenario: Scenario, history: History) -> list[Violation]:
    """Differences between this run and the approved golden of a curated scenario (G1)."""
    approved = golden.load(scenario.id)
    observed = golden.observed_result(history)
    found: list[Violation] = []
    for step, answer in approved["answers"].items():
        if observed["answers"].get(step) != answer:
            found.append(Violation("G1", f"golden: step {step} answered "
                                   f"{observed['answers'].get(step)!r}, approved {answer!r}"))
    for label, snapshot in approved["snapshots"].items():
        seen = observed["snapshots"].get(label, {})
        tables = isinstance(snapshot, dict) and all(isinstance(v, list) for v in snapshot.values())
        if tables:
            lines = diff_lines(snapshot, seen)
        else:  # not a table snapshot (a control service's declared state): equal or not
            lines = [] if seen == snapshot else [f"differs from the approved {label}"]
        if lines:
            found.append(Violation("G1", f"golden {label}: " + "; ".join(lines[:6])))
    return found


@dataclass
class Judge:
    env: RunEnvironment
    reports_dir: Path
    check_goldens: bool = True

    def run(self, scenario: Scenario) -> History:
        return RUNNERS[scenario.property](scenario, self.env)

    def judge(self, scenario: Scenario) -> Verdict:
        if not scenario.id:
            scenario = with_id(scenario, encode(scenario))
        started = time.monotonic()
        history = self.run(scenario)
        result = CHECKERS[scenario.property](scenario, history)
        curated = not is_generated_id(scenario.id)
        if curated and self.check_goldens:
            result = verdict(result.property_name, result.rules,
                             [*result.violations, *golden_violations(scenario, history)])
        record = ScenarioRecord(scenario.id, scenario.property, scenario.rules,
                                events=len(scenario.journal()), steps=len(scenario.steps),
                                seconds=round(time.monotonic() - started, 3))
        if curated or not result.ok:
            extra = {}
            if not result.ok and self.env.stack.server is not None:
                extra["spacetimedb.log"] = self.env.stack.server.logs()[-200_000:]
            record.artefacts = str(store(self.reports_dir, scenario, history, result, extra))
        record.violations = [{"rule": v.rule, "message": v.message} for v in result.violations]
        RECORDER.add(record)
        label_scenario(scenario, result, Path(record.artefacts) if record.artefacts else None)
        if not result.ok:
            raise ContractViolation(scenario, result, Path(record.artefacts))
        return result
