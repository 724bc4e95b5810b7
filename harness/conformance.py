"""Judge one scenario: run it against the target, check it, compare its golden, report.

This is where drivers and checkers meet. The order is Jepsen's: record everything
first, then judge the record. A violation raises `ContractViolation`, whose message
starts with the self-contained scenario ID so that a CI log's first line is enough to
reproduce the failure (`stdb-harness repro <ID>`).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from harness import golden
from harness.aborts import aborts_examples
from harness.checks import coverage, idempotence, rebuild, stale_cursor, token_scenario
from harness.checks.snapshot_diff import diff_lines, mask_like, table_keys
from harness.checks.verdict import Verdict, Violation, settle, verdict, within_profile
from harness.generators.options import Generation
from harness.generators.token_requests import MATRIX
from harness.history import History
from harness.profiles import Profile
from harness.reports.allure_labels import label_scenario
from harness.reports.artefacts import store
from harness.reports.records import Recorder, ScenarioRecord
from harness.runner.applicability import (
    NotApplicable,
    case_needs,
    families_of,
    not_applicable,
    scenario_needs,
)
from harness.runner.environment import RunEnvironment
from harness.runner.module import run_module_scenario
from harness.runner.resume import run_resume_scenario
from harness.runner.runtime_scenario import run_runtime_scenario
from harness.runner.token_scenario import run_token_scenario
from harness.scenario.ids import encode, is_generated_id
from harness.scenario.model import EPOCH_MS, Scenario, with_id
from harness.scenario.steps import Resume, RetiredAtStart, ViaRuntime
from harness.shrink_budget import ShrinkBudget
from harness.targets.capabilities import Capability

Checker = Callable[[Scenario, History], Verdict]
Runner = Callable[[Scenario, RunEnvironment], History]

CHECKERS: Mapping[str, Checker] = {
    "idempotence": idempotence.check,
    "rebuild": rebuild.check,
    "stale_cursor": stale_cursor.check,
    "token_parity": token_scenario.check,
}


def run_delivery_scenario(scenario: Scenario, env: RunEnvironment) -> History:
    """The harness delivers itself, or (with `ViaRuntime`) the target's publisher."""
    if scenario.count(ViaRuntime):
        return run_runtime_scenario(scenario, env)
    return run_module_scenario(scenario, env)


RUNNERS: Mapping[str, Runner] = {
    "idempotence": run_delivery_scenario,
    "rebuild": run_module_scenario,
    "stale_cursor": run_resume_scenario,
    "token_parity": lambda scenario, env: run_token_scenario(
        scenario, env.control(retired_at_start=bool(scenario.count(RetiredAtStart))),
        env.capabilities),
}


class ContractViolation(AssertionError):
    """The system under test broke a rule; never raised for a harness problem.

    Its message is what a console shows: the ID first, the verdict's headline, where the
    whole verdict is stored and the command that replays it against the same target."""

    def __init__(self, scenario: Scenario, result: Verdict, artefacts: Path,
                 repro: str) -> None:
        super().__init__(f"SCENARIO ID: {scenario.id}\n{result.headline()}\n"
                         f"artefacts: {artefacts}\n"
                         f"reproduce: {repro.format(id=scenario.id)}")
        self.scenario = scenario
        self.verdict = result
        self.artefacts = artefacts
        self.repro = repro.format(id=scenario.id)


@functools.cache
def violation_type(defect: str) -> type[ContractViolation]:
    """One exception type per defect (what its first direct violation shows, see
    `Violation.defect`), so that Hypothesis, which tells bugs apart by exception type and
    origin, searches for and shrinks each separately: a target with five defects shows five
    violations, each with its own minimal scenario ID, even two of one rule (M1's missing
    caller check and M1's missing sequence check)."""
    name = "ContractViolation_" + re.sub(r"\W+", "_", defect).strip("_")
    return type(name, (ContractViolation,), {"__module__": __name__})

class ScenarioNotApplicable(Exception):
    """The target lacks what the scenario needs: reported per rule, never a verdict."""

    def __init__(self, scenario: Scenario, lacking: NotApplicable) -> None:
        super().__init__(f"{scenario.id or scenario.property}: {lacking.explain()}")
        self.scenario = scenario
        self.lacking = lacking


def golden_violations(approved: Mapping[str, Any], history: History) -> list[Violation]:
    """Differences between this run and the approved golden of a curated scenario (G1).

    A step the target could not perform (not applicable) has no answer to compare. Relative:
    a golden is what the user approved for this target, not the reference's answer, so it is
    judged whatever contract profile the target opts into."""
    observed = golden.observed_result(history)
    keys = table_keys(history.snapshots)
    skipped = {str(entry.value["step"]) for entry in history.completions()
               if isinstance(entry.value, dict) and "not_applicable" in entry.value}
    found: list[Violation] = []
    for step, answer in approved["answers"].items():
        if step not in skipped and observed["answers"].get(step) != answer:
            found.append(Violation("G1", f"golden: step {step} answered "
                                   f"{observed['answers'].get(step)!r}, approved {answer!r}",
                                   relative=True))
    for label, snapshot in approved["snapshots"].items():
        seen = observed["snapshots"].get(label)
        if _tables(snapshot) and _tables(seen):
            # a golden approves the tables it holds: one the run adds (a module table the
            # golden predates) is no difference until `golden update` approves it too
            seen = {table: rows for table, rows in seen.items() if table in snapshot}
            lines = diff_lines(mask_like(snapshot, seen), seen, keys)
        else:  # not table snapshots (dead letters, a control service's state): equal or not
            lines = _value_differences(snapshot, seen)
        if lines:
            found.append(Violation("G1", f"golden {label}: " + "; ".join(lines), relative=True))
    return found


def _tables(snapshot: Any) -> bool:
    """A module snapshot (table name to rows): a non-empty object whose values are lists of
    row objects. An empty object (no dead letters approved) is a value like any other, or
    every dead letter a later run meets would pass as a table the golden predates."""
    return isinstance(snapshot, dict) and bool(snapshot) and all(
        isinstance(rows, list) and all(isinstance(row, dict) for row in rows)
        for rows in snapshot.values())


def _value_differences(approved: Any, seen: Any, shown: int = 5) -> list[str]:
    """Where a snapshot that is not tables differs from the approved one, path by path."""
    if seen == approved:
        return []
    delta = DeepDiff(approved, seen, verbose_level=2, view="tree")
    lines = [f"{change.path()}: approved {change.t1!r}, observed {change.t2!r}"
             for changes in delta.values() for change in changes]
    lines = sorted(lines) or [f"approved {approved!r}, observed {seen!r}"]
    return lines[:shown] + ([f"... {len(lines) - shown} more"] if len(lines) > shown else [])


@dataclass
class Judge:
    """Runs scenarios against the session's target and judges them.

    `golden_dir` None means goldens are not compared (the repro profile); `repro` is the
    command line that replays a scenario ID against this same target ({id} is filled)."""

    env: RunEnvironment
    reports_dir: Path
    recorder: Recorder
    golden_dir: Path | None
    repro: str
    profile: Profile
    shrink_budget: ShrinkBudget = field(default_factory=ShrinkBudget)
    # when a generated scenario's first event is published; a curated one with a golden
    # keeps the time its golden was approved at
    epoch_ms: int = EPOCH_MS
    golden_epoch_ms: int = EPOCH_MS

    @property
    def generation(self) -> Generation:
        """What generated scenarios may contain for this target under this profile."""
        has = self.env.capabilities
        control = self.env.target.control
        cases: tuple[str, ...] = ()
        if control is not None:
            declared = control.declared_policy
            cases = tuple(case.id for case in MATRIX if case.applies_to(
                declared, families_of(has))
                and not_applicable(case_needs(case, declared, declared), has) is None)
        return Generation(
            crashes=self.profile.faults and Capability.SERVER_CRASH in has,
            compaction=Capability.MODULE_COMPACT in has,
            acks=Capability.MODULE_ACK in has,
            acks_name_client=Capability.MODULE_ACK_NAMES_CLIENT in has,
            clients=Capability.CLIENT in has,
            runtime_crashes=self.profile.faults and Capability.NETWORK_CUT in has,
            publisher_crash_faults=Capability.PUBLISHER_CRASH in has,
            random_bodies=self.profile.faults,
            token_cases=cases,
            retired_at_start=Capability.CONTROL_RETIRED_AT_START in has,
            parts=self.profile.parts,
        )

    def lacking(self, scenario: Scenario) -> NotApplicable | None:
        needs = scenario_needs(scenario)
        if scenario.property == "token_parity":
            needs.add(Capability.CONTROL)
        if scenario.property == "stale_cursor" and scenario.count(Resume):
            needs.add(Capability.CLIENT)
        return not_applicable(needs, self.env.capabilities)

    def run(self, scenario: Scenario) -> History:
        return RUNNERS[scenario.property](scenario, self.env)

    @aborts_examples  # a harness error inside a Hypothesis example: harness/aborts.py
    def judge(self, scenario: Scenario) -> Verdict:
        if not scenario.id:
            scenario = with_id(scenario, encode(scenario))
        golden_kept = not is_generated_id(scenario.id) and self.golden_dir is not None
        scenario = replace(scenario, epoch_ms=self.golden_epoch_ms if golden_kept
                           else self.epoch_ms)
        if self.shrink_budget.answers_without_running(self.recorder, scenario.id):
            return verdict(scenario.property, scenario.rules, [])  # harness/shrink_budget.py
        lacking = self.lacking(scenario)
        curated = not is_generated_id(scenario.id)
        control = self.env.target.control
        reached = coverage.reach(scenario, curated=curated and self.golden_dir is not None,
                                 retired_at_start=control is not None
                                 and control.declared_policy.alias_retired)
        record = ScenarioRecord(scenario.id, scenario.property, scenario.rules,
                                events=len(scenario.journal()), steps=len(scenario.steps),
                                seconds=0.0)
        if lacking is not None:
            record.not_applicable = sorted(c.value for c in lacking.missing)
            record.unreached = dict(reached.everything())
            self.recorder.add(record)
            raise ScenarioNotApplicable(scenario, lacking)
        started = time.monotonic()
        history = self.run(scenario)
        result = CHECKERS[scenario.property](scenario, history)
        if curated and self.golden_dir is not None:
            approved = golden.load(scenario.id, self.golden_dir)
            result = verdict(result.property_name, result.rules,
                             [*result.violations, *golden_violations(approved, history)])
        result = settle(within_profile(result, self.env.target.absolute))
        record.seconds = round(time.monotonic() - started, 3)
        if curated or not result.ok:
            extra = {"target.json": json.dumps(dict(self.env.target.pins), indent=1)}
            if not result.ok and self.env.stack.server is not None:
                extra["spacetimedb.log"] = self.env.stack.server.logs()[-200_000:]
            record.artefacts = str(store(self.reports_dir, scenario, history, result, extra))
        clauses = coverage.charged(reached, history, result.violations)
        record.violations = [{"rule": v.rule, "message": v.message, "relative": v.relative,
                              "clause": clause, "defect": v.defect}
                             for v, clause in zip(result.violations, clauses, strict=True)]
        exercised = coverage.exercised(reached, history)
        exercised.update({clause: 1 for clause in clauses if not exercised[clause]})
        record.exercised = dict(exercised)  # a clause a violation decided was exercised
        record.violated_clauses = dict.fromkeys(sorted(set(clauses)), 1)
        record.repro = self.repro.format(id=scenario.id)
        self.recorder.add(record)
        label_scenario(scenario, result, self.env.target,
                       Path(record.artefacts) if record.artefacts else None)
        if not result.ok:
            violation = violation_type(record.defect)(scenario, result, Path(record.artefacts),
                                                      self.repro)
            raise self.shrink_budget.failed(self.recorder, scenario.id, record, violation)
        return result
