"""What each judged scenario produced, collected during a run for the summary.

The pytest plugin reads these per test (a Hypothesis test judges many scenarios) and
the summary writer aggregates them by property.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.checks.verdict import bug_rule


@dataclass
class ScenarioRecord:
    scenario_id: str
    property_name: str
    rules: tuple[str, ...]
    events: int
    steps: int
    seconds: float
    violations: list[dict[str, object]] = field(default_factory=list)
    artefacts: str = ""
    finished_at: float = field(default_factory=time.time)
    # capabilities the target lacks for this scenario; then it was not run at all
    not_applicable: list[str] = field(default_factory=list)
    repro: str = ""  # the command that replays this scenario against the same target
    # contract clauses (harness.checks.clauses) this scenario exercised, broke, or would
    # have exercised had it been applicable: the summary's coverage matrix adds them up
    exercised: dict[str, int] = field(default_factory=dict)
    violated_clauses: dict[str, int] = field(default_factory=dict)
    unreached: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def applicable(self) -> bool:
        return not self.not_applicable

    @property
    def broken_rules(self) -> list[str]:
        return sorted({str(v["rule"]) for v in self.violations})

    def explain(self) -> str:
        """The whole verdict of this scenario, as stored: ID, every violation, repro."""
        lines = [f"SCENARIO ID: {self.scenario_id}"]
        lines += [f"  - [{v['rule']}] {v['message']}" for v in self.violations]
        if self.artefacts:
            lines.append(f"artefacts: {self.artefacts}")
        if self.repro:
            lines.append(f"reproduce: {self.repro}")
        return "\n".join(lines)


def distinct_failures(records: list[ScenarioRecord]) -> list[ScenarioRecord]:
    """The last failing record of each distinct bug (its broken rules), in the order the bugs
    were found: Hypothesis replays each bug's shrunk example last."""
    last: dict[str, ScenarioRecord] = {}
    for record in records:
        if not record.ok:
            last[bug_rule([str(v["rule"]) for v in record.violations])] = record
    return list(last.values())


@dataclass
class Recorder:
    """Records grouped by pytest node id; `current` is set by the plugin around each test.

    One per pytest session, kept on the pytest config (never a module global), so two
    sessions in one process, or pytest-xdist workers, never see each other's records."""

    by_test: dict[str, list[ScenarioRecord]] = field(default_factory=dict)
    current: str = "outside-pytest"

    def add(self, record: ScenarioRecord) -> None:
        self.by_test.setdefault(self.current, []).append(record)

    def for_test(self, nodeid: str) -> list[ScenarioRecord]:
        return self.by_test.get(nodeid, [])

