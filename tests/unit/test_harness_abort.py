"""A harness error inside a Hypothesis example ends the test at once as a harness error:
never shrunk, never replayed, never Hypothesis's FlakyFailure (harness/aborts.py).

The real Judge with a fake target whose server "goes away" on one example, under
Hypothesis's real engine; then a real pytest run, where the plugin reports it as a harness
error with its message and no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness import conformance
from harness.aborts import HarnessAbort
from harness.errors import EnvironmentFailed
from harness.history import History
from harness.scenario.model import Scenario
from harness.shrink_budget import ShrinkBudget
from tests.unit.test_shrink_budget import FakeTarget, judge_with, owners, scenario_of

ENGINE = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate, Phase.shrink],
                  suppress_health_check=list(HealthCheck))


class VanishingServer(FakeTarget):
    """A target whose server stops answering in any scenario with an owner of 15 or more
    (which a shrinker would gladly make smaller, and find gone again, or not: Flaky)."""

    def run(self, scenario: Scenario, env: object) -> History:
        history = super().run(scenario, env)
        if max(owners(scenario)) >= 15:
            raise EnvironmentFailed("the server stopped answering", "see its log")
        return history


@pytest.fixture
def vanishing(monkeypatch: pytest.MonkeyPatch) -> Iterator[VanishingServer]:
    target = VanishingServer()
    monkeypatch.setitem(conformance.RUNNERS, "idempotence", target.run)
    monkeypatch.setitem(conformance.CHECKERS, "idempotence", target.check)
    yield target


def test_a_harness_error_in_an_example_stops_hypothesis_at_once(
        vanishing: VanishingServer, tmp_path: Path) -> None:
    judge = judge_with(ShrinkBudget(None), tmp_path)

    @ENGINE
    @given(st.lists(st.integers(0, 20), min_size=1, max_size=2))
    def property_of(numbers: list[int]) -> None:
        judge.judge(scenario_of(numbers))

    with pytest.raises(HarnessAbort) as raised:
        property_of()
    assert isinstance(raised.value.error, EnvironmentFailed)
    assert "the server stopped answering" in str(raised.value)
    failing = [run for run in vanishing.runs if max(run) >= 15]
    assert failing == [vanishing.runs[-1]], "the harness error was run again (shrunk)"


def test_outside_an_example_a_harness_error_stays_what_it_is(
        vanishing: VanishingServer, tmp_path: Path) -> None:
    judge = judge_with(ShrinkBudget(None), tmp_path)
    with pytest.raises(EnvironmentFailed, match="stopped answering"):
        judge.judge(scenario_of([16]))


TESTS = '''
from hypothesis import given, settings, strategies as st

from harness.aborts import HarnessAbort
from harness.errors import EnvironmentFailed


@settings(database=None, derandomize=True)
@given(st.integers(0, 100))
def test_the_server_goes_away(n: int) -> None:
    if n > 10:
        raise HarnessAbort(EnvironmentFailed("the server stopped answering", "see its log"))
'''

CONFIG = """target = "aborts"

[module]
wasm = "module.wasm"
"""


def test_the_plugin_reports_it_as_a_harness_error_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "test_aborts.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "stdb-harness.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "module.wasm").write_bytes(b"\0asm\x01\0\0\0")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "test_aborts.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert ("harness error (not a contract violation): the server stopped answering\n"
            "  hint: see its log") in out
    assert "Traceback" not in out and "Flaky" not in out and "Falsifying" not in out, out
