"""On the console a contract violation is a short block per distinct bug, not a traceback.

A real pytest run (a subprocess, the plugin loaded by its entry point) of tests that raise
ContractViolation as the Judge does: alone, twice over from Hypothesis (an ExceptionGroup
of two bugs), and in a group with a harness error, which keeps pytest's full report.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from harness.checks.verdict import Violation
from harness.reports.console import Bug, block, blocks

TESTS = '''
from pathlib import Path

from hypothesis import given, strategies as st

from harness.checks.verdict import Violation, verdict
from harness.conformance import violation_type
from harness.scenario.model import Scenario
from harness.scenario.steps import Event

REPRO = "stdb-harness repro '{id}' --config /home/ci/ledger/stdb-harness.toml"


def violate(rule: str, message: str) -> None:
    scenario = Scenario("idempotence", ("M1",), (Event("run:a:events", "run.created",
                        {"owner": "x"}),), id=f"stdb1.idempotence.case{rule}")
    result = verdict("idempotence", ("M1",), [Violation(rule, message),
                                              Violation("P1", "final snapshot vs oracle")])
    raise violation_type(rule)(scenario, result, Path(f"reports/runs/gen-{rule}"), REPRO)


def test_one_bug() -> None:
    local_state_nobody_needs = {"huge": list(range(50))}
    assert local_state_nobody_needs
    violate("R3", "step 6 resume: expected stale_cursor, observed success")


@given(st.integers(0, 1000))
def test_two_bugs(n: int) -> None:
    if n > 500:
        violate("M1", "with redeliveries vs each event delivered once: " + "x" * 300)
    if n > 100:
        violate("R3", "off by one")


def test_a_bug_and_a_harness_error() -> None:
    try:
        violate("R3", "off by one")
    except AssertionError as found:
        raise ExceptionGroup("two failures", [found, RuntimeError("the harness itself broke")])
'''


# The plugin acts only in a project with a harness configuration (elsewhere it is a guest
# that does nothing); this one is never read, since no suite runs.
CONFIG = """target = "console-blocks"

[module]
wasm = "module.wasm"
"""


def _run(tmp_path: Path, test: str) -> str:
    (tmp_path / "test_violations.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "stdb-harness.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "module.wasm").write_bytes(b"\0asm\x01\0\0\0")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           f"test_violations.py::{test}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_one_violation_is_its_block_without_source_or_locals(tmp_path: Path) -> None:
    out = _run(tmp_path, "test_one_bug")
    assert textwrap.dedent("""\
        SCENARIO ID: stdb1.idempotence.caseR3
        violates R3, P1 (idempotence)
          - [R3] step 6 resume: expected stale_cursor, observed success
          - [P1] final snapshot vs oracle
        artefacts: reports/runs/gen-R3
        reproduce: stdb-harness repro 'stdb1.idempotence.caseR3' --config \
/home/ci/ledger/stdb-harness.toml""") in out
    assert "local_state_nobody_needs" not in out and "def test_one_bug" not in out


def test_hypothesis_bugs_each_get_a_block_and_no_falsifying_example(tmp_path: Path) -> None:
    out = _run(tmp_path, "test_two_bugs")
    assert "Falsifying example" not in out and "def test_two_bugs" not in out
    assert "bug 1 of 2: violates" in out and "bug 2 of 2: violates" in out
    assert {"SCENARIO ID: stdb1.idempotence.caseM1", "SCENARIO ID: stdb1.idempotence.caseR3",
            "reproduce: stdb-harness repro 'stdb1.idempotence.caseM1' --config "
            "/home/ci/ledger/stdb-harness.toml"} <= set(out.splitlines())
    long_line = next(line for line in out.splitlines() if "with redeliveries" in line)
    assert len(long_line) == len("  - [M1] ") + 160 and long_line.endswith("...")


def test_a_harness_error_beside_a_violation_keeps_the_whole_report(tmp_path: Path) -> None:
    out = _run(tmp_path, "test_a_bug_and_a_harness_error")
    assert "RuntimeError: the harness itself broke" in out
    assert "Traceback (most recent call last)" in out


def test_many_violations_are_cut_to_the_first_few() -> None:
    bug = Bug("stdb1.rebuild.x", "rebuild", [Violation("G2", f"table {n}") for n in range(11)],
              "reports/runs/gen-x", "stdb-harness repro 'stdb1.rebuild.x'")
    text = block(bug)
    assert text.splitlines()[0] == "SCENARIO ID: stdb1.rebuild.x"
    assert "  ... 3 more in the artefacts' verdict" in text
    assert blocks([bug, bug]).count("SCENARIO ID:") == 2
