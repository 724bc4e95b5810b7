"""A shrink budget: how long a property may go on shrinking once it has found a violation.

Why: Hypothesis shrinks every distinct bug of a test until nothing smaller fails, for up to
five minutes per test. Against a real server each step of a shrink is a whole scenario run,
so a target with several defects kept a pr gate busy for ten minutes and more, although
everything the gate has to say (each bug's ID, its rules, a counterexample) was known within
seconds of the first failure. A gate must answer in a bounded time; a smaller counterexample
is worth only so much waiting.

How: Hypothesis cannot be told from outside to stop shrinking, but it stops by itself once no
candidate it tries is a new failure. So once a test's budget (counted from its first
violation) is spent, the judge stops running scenarios for that test: a scenario ID already
seen failing raises its violation again without running, from the cache, and any other
scenario passes at once. Every candidate is then answered in microseconds, the shrinker ends
in moments and keeps the best counterexample it had; Hypothesis's final replay of that
example fails again, since its ID is one seen failing, so it is never reported Flaky. The
violation raised again is the very exception raised the first time, whose traceback still
ends where it was first raised (`Judge.judge`): Hypothesis tells bugs apart by the type of
the exception and that place, so the replay is the same bug, not a new one. Its record
moves to the end of the test's records, where the plugin looks for each bug's final,
shrunk, scenario.

A scenario never seen failing that would have failed is the price: that bug of that test
is found by a later run (or with a larger budget, `--shrink-budget`), not this one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from harness.errors import HarnessError
from harness.reports.records import Recorder, ScenarioRecord

NO_BUDGET = "none"


def parse_budget(text: str) -> float | None:
    """A budget option's value: seconds (a number, 0 or more), or `none` for no budget."""
    if text.strip().lower() == NO_BUDGET:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise HarnessError(f"bad shrink budget {text!r}: not a number of seconds",
                           "pass the seconds a property may shrink after its first "
                           "violation (e.g. 60), or none for Hypothesis's own limit")
    return seconds


@dataclass
class _Failing:
    violation: BaseException
    record: ScenarioRecord
    traceback: TracebackType | None = None  # as first raised, kept from its first reuse


@dataclass
class _TestState:
    first_failure: float
    failing: dict[str, _Failing] = field(default_factory=dict)
    answered: int = 0  # scenarios answered without running, once the budget was spent


@dataclass(frozen=True)
class Cut:
    """A test whose shrinking the budget cut short: its budget and how many scenarios were
    answered from the cache (or passed) without running."""

    test: str
    budget_s: float
    answered: int


class ShrinkBudget:
    """Per test (pytest node id), the time of its first violation and the violations seen.

    `seconds` None: no budget (the repro profile; Hypothesis's own limit alone)."""

    def __init__(self, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._tests: dict[str, _TestState] = {}

    def answers_without_running(self, recorder: Recorder, scenario_id: str) -> bool:
        """Whether the budget of the current test is spent: True when `scenario_id` is to
        pass without running. A scenario seen failing raises its violation again instead."""
        state = self._tests.get(recorder.current)
        if (self.seconds is None or state is None
                or self._clock() - state.first_failure < self.seconds):
            return False
        state.answered += 1
        seen = state.failing.get(scenario_id)
        if seen is None:
            return True
        records = recorder.by_test.get(recorder.current, [])
        if seen.record in records:  # the bug's final scenario, as Hypothesis will report it
            records.remove(seen.record)
            records.append(seen.record)
        if seen.traceback is None:
            seen.traceback = seen.violation.__traceback__
        # The traceback as first raised: the place Hypothesis tells the bug by stays its
        # last frame, and each raise adds its frames to this one rather than to the last.
        raise seen.violation.with_traceback(seen.traceback)

    def failed(self, recorder: Recorder, scenario_id: str, record: ScenarioRecord,
               violation: BaseException) -> BaseException:
        """Note `violation` of `scenario_id` (recorded as `record`) for the current test;
        returned, for the caller to raise."""
        state = self._tests.setdefault(recorder.current, _TestState(self._clock()))
        state.failing.setdefault(scenario_id, _Failing(violation, record))
        return violation

    def cut(self, test: str) -> Cut | None:
        """What the budget did to `test`, if it cut its shrinking short."""
        state = self._tests.get(test)
        if self.seconds is None or state is None or not state.answered:
            return None
        return Cut(test, self.seconds, state.answered)
