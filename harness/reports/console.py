"""What a console shows of a contract violation: a short block per distinct bug.

pytest would print the test's source, its fixtures' reprs and Hypothesis's "Falsifying
example" (a long argument nobody can paste); what a person needs is the scenario ID (first,
so a CI log's first line reproduces it), the rules broken, one line per violation, where the
artefacts are and the command that replays it. The whole verdict is in the artefacts and
the summary pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.checks.verdict import Violation

LINE_WIDTH = 160
SHOWN = 8


@dataclass(frozen=True)
class Bug:
    """One distinct bug as raised: its minimal scenario and what it broke."""

    scenario_id: str
    property_name: str
    violations: Sequence[Violation]
    artefacts: str
    repro: str


def one_line(text: str, width: int = LINE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


def block(bug: Bug, number: int = 1, count: int = 1) -> str:
    rules = list(dict.fromkeys(v.rule for v in bug.violations))  # the checker's order
    which = f"bug {number} of {count}: " if count > 1 else ""
    lines = [f"SCENARIO ID: {bug.scenario_id}",
             f"{which}violates {', '.join(rules)} ({bug.property_name})"]
    lines += [f"  - [{v.rule}] {one_line(v.message)}" for v in bug.violations[:SHOWN]]
    if len(bug.violations) > SHOWN:
        lines.append(f"  ... {len(bug.violations) - SHOWN} more in the artefacts' verdict")
    lines += [f"artefacts: {bug.artefacts}", f"reproduce: {bug.repro}"]
    return "\n".join(lines)


def blocks(bugs: Sequence[Bug]) -> str:
    """Every bug's block, a blank line apart, in the order they were raised."""
    return "\n\n".join(block(bug, number, len(bugs)) for number, bug in enumerate(bugs, 1))
