"""What each judged scenario produced, collected during a run for the summary.

The pytest plugin reads these per test (a Hypothesis test judges many scenarios) and
the summary writer aggregates them by property.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.checks.verdict import CONSEQUENTIAL_RULES


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

    @property
    def defect(self) -> str:
        """What tells this scenario's defect from another's: what its first direct violation
        shows (a rebuild or golden that differs is consequential, passed over)."""
        return defect_of(self.violations)

    def explain(self) -> str:
        """The whole verdict of this scenario, as stored: ID, every violation, repro."""
        lines = [f"SCENARIO ID: {self.scenario_id}"]
        lines += [f"  - [{v['rule']}] {v['message']}" for v in self.violations]
        if self.artefacts:
            lines.append(f"artefacts: {self.artefacts}")
        if self.repro:
            lines.append(f"reproduce: {self.repro}")
        return "\n".join(lines)


def defect_of(violations: list[dict[str, object]]) -> str:
    """The defect of the first violation that is not a consequential rule's (G1, G2), or
    of the first one; a violation recorded without one names its rule."""
    if not violations:
        return "?"
    direct = [v for v in violations if str(v["rule"]) not in CONSEQUENTIAL_RULES]
    first = (direct or violations)[0]
    return str(first.get("defect") or first["rule"])


def distinct_failures(records: list[ScenarioRecord]) -> list[tuple[str, ScenarioRecord]]:
    """One failing record per defect found, in the order the defects were found.

    A defect is what a violation shows, wherever: where it led a scenario's verdict, its last
    such record (Hypothesis replays each bug's shrunk example last); where it was only ever
    found beside another defect, the smallest scenario that shows it, so nothing violated is
    left as a count without its own ID and repro."""
    last: dict[str, ScenarioRecord] = {}
    for record in records:
        if not record.ok:
            last[record.defect] = record
    for record in sorted((r for r in records if not r.ok), key=lambda r: (r.steps, r.events)):
        for violation in record.violations:
            defect = str(violation.get("defect") or violation["rule"])
            if defect not in last and str(violation["rule"]) not in CONSEQUENTIAL_RULES:
                last[defect] = record
    return list(last.items())


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

