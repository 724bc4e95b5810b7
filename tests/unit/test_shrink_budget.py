"""The shrink budget, with Hypothesis's real engine and the real Judge (a fake target behind it).

Each scenario "run" takes a second on a fake clock. Without a budget, Hypothesis shrinks the
bug for as many runs as it likes; with one, the runs stop once the budget since the first
violation is spent, the shrinker ends on answers from the cache, and the violation raised at
the end is a real one (never Flaky), the same bug, whose scenario is the one the records
name as the final, shrunk, counterexample.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness import conformance
from harness.checks.verdict import Verdict, Violation, verdict
from harness.conformance import ContractViolation, Judge
from harness.errors import HarnessError
from harness.history import History
from harness.profiles import PROFILES
from harness.reports.records import Recorder, distinct_failures
from harness.scenario.model import Scenario
from harness.scenario.steps import Event
from harness.shrink_budget import ShrinkBudget, parse_budget
from harness.targets.capabilities import Capability

TEST = "harness/suite/test_fake.py::test_generated_fake"
ENGINE = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate, Phase.shrink], report_multiple_bugs=True,
                  suppress_health_check=list(HealthCheck))


@dataclass
class FakeTarget:
    """The clock the budget reads, advanced a second by every scenario actually run."""

    now: float = 0.0
    runs: list[tuple[int, ...]] = field(default_factory=list)
    first_failure_run: int | None = None

    def clock(self) -> float:
        return self.now

    def run(self, scenario: Scenario, env: object) -> History:
        self.now += 1.0
        self.runs.append(owners(scenario))
        return History()

    def check(self, scenario: Scenario, history: History) -> Verdict:
        """The bug: three events or more, one of them for an owner of 10 or more."""
        found = owners(scenario)
        broken = len(found) >= 3 and max(found) >= 10
        if broken and self.first_failure_run is None:
            self.first_failure_run = len(self.runs)
        return verdict("idempotence", ("M1",),
                       [Violation("M1", f"owners {found}", relative=True)] if broken else [])

    @property
    def runs_after_first_failure(self) -> int:
        assert self.first_failure_run is not None, "the bug was never found"
        return len(self.runs) - self.first_failure_run


def owners(scenario: Scenario) -> tuple[int, ...]:
    return tuple(int(step.payload["owner"][1:]) for step in scenario.of(Event))


def scenario_of(numbers: list[int]) -> Scenario:
    return Scenario("idempotence", ("M1",), tuple(
        Event("run:a:events", "run.created", {"owner": f"o{n}"}) for n in numbers))


def fake_env() -> Any:
    target = SimpleNamespace(control=None, pins={"target": "fake"}, absolute=frozenset(),
                             name="fake", module=None)
    return SimpleNamespace(capabilities=frozenset(Capability), target=target,
                           stack=SimpleNamespace(server=None))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTarget]:
    target = FakeTarget()
    monkeypatch.setitem(conformance.RUNNERS, "idempotence", target.run)
    monkeypatch.setitem(conformance.CHECKERS, "idempotence", target.check)
    yield target


def judge_with(budget: ShrinkBudget, tmp_path: Path) -> Judge:
    recorder = Recorder()
    recorder.current = TEST
    return Judge(fake_env(), tmp_path, recorder, None, "stdb-harness repro '{id}'",
                 PROFILES["pr"], budget)


def search(judge: Judge) -> ContractViolation:
    @ENGINE
    @given(st.lists(st.integers(0, 20), min_size=1, max_size=12))
    def property_of(numbers: list[int]) -> None:
        judge.judge(scenario_of(numbers))

    with pytest.raises(ContractViolation) as raised:  # one bug: not an ExceptionGroup, not Flaky
        property_of()
    return raised.value


def test_without_a_budget_the_shrink_runs_as_long_as_hypothesis_likes(
        fake: FakeTarget, tmp_path: Path) -> None:
    budget = ShrinkBudget(None, clock=fake.clock)
    found = search(judge_with(budget, tmp_path))
    assert fake.runs_after_first_failure > 20, fake.runs
    assert owners(found.scenario) == (0, 0, 10)  # shrunk all the way
    assert budget.cut(TEST) is None


def test_a_spent_budget_ends_the_shrink_on_a_real_counterexample_of_the_same_bug(
        fake: FakeTarget, tmp_path: Path) -> None:
    budget = ShrinkBudget(3.0, clock=fake.clock)
    judge = judge_with(budget, tmp_path)
    found = search(judge)
    # the first failing run, then the runs within the three seconds of budget
    assert fake.runs_after_first_failure <= 3, fake.runs
    assert owners(found.scenario) in fake.runs, "the counterexample was never run"
    assert len(owners(found.scenario)) >= 3 and max(owners(found.scenario)) >= 10
    [(_defect, final)] = distinct_failures(judge.recorder.for_test(TEST))
    assert final.scenario_id == found.scenario.id, "the records name another scenario"
    cut = budget.cut(TEST)
    assert cut is not None and cut.budget_s == 3.0 and cut.answered > 0


def test_the_budget_counts_per_test(fake: FakeTarget, tmp_path: Path) -> None:
    budget = ShrinkBudget(3.0, clock=fake.clock)
    judge = judge_with(budget, tmp_path)
    search(judge)
    judge.recorder.current = "harness/suite/test_fake.py::test_another"
    fake.runs.clear()
    fake.first_failure_run = None
    search(judge)
    assert fake.runs_after_first_failure <= 3
    assert budget.cut("harness/suite/test_fake.py::test_another") is not None


@pytest.mark.parametrize(("text", "seconds"), [("60", 60.0), ("0", 0.0), ("2.5", 2.5),
                                               ("none", None), ("None", None)])
def test_a_budget_option_parses(text: str, seconds: float | None) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["-1", "soon", "", "inf", "nan"])
def test_a_bad_budget_option_is_refused(text: str) -> None:
    with pytest.raises(HarnessError, match="shrink budget"):
        parse_budget(text)
