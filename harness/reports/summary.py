"""The run summary: reports/summary.json, summary.html (no other tool needed), summary.md.

Counts per property, durations, throughput, the rule-clause matrix, and every violation
with its scenario ID, the rules it broke and its view (harness.reports.violation_view). A
test that failed without a recorded violation is a harness error and is listed apart, so
the two are never confused. The pages are rendered from this JSON alone.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.reports.html_page import page
from harness.reports.markdown_page import markdown
from harness.reports.records import ScenarioRecord, distinct_failures
from harness.reports.violation_view import violation_view
from harness.scenario.ids import is_generated_id

SUITE_PROPERTIES = ("idempotence", "rebuild", "stale_cursor", "token_parity")


@dataclass
class TestResult:
    nodeid: str
    outcome: str  # passed | violation | error | not_applicable | skipped
    seconds: float
    message: str = ""
    records: list[ScenarioRecord] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)  # not applicable: capabilities missing
    unjudged_rules: list[str] = field(default_factory=list)  # and the rules left unjudged

    @property
    def property_name(self) -> str:
        for name in SUITE_PROPERTIES:
            if name in self.nodeid:
                return name
        return self.records[0].property_name if self.records else "harness"


def results_to_json(results: list[TestResult]) -> str:
    """Rows as JSON text, so a pytest-xdist worker can hand them to the controller."""
    return json.dumps([dataclasses.asdict(result) for result in results])


def results_from_json(text: str) -> list[TestResult]:
    rows: list[dict[str, Any]] = json.loads(text)
    results = []
    for row in rows:
        records = [ScenarioRecord(**{**record, "rules": tuple(record["rules"])})
                   for record in row.pop("records")]
        results.append(TestResult(**row, records=records))
    return results


def _not_applicable(results: list[TestResult]) -> list[dict[str, Any]]:
    """Per rule, what the target lacked and where: never counted as a pass."""
    by_rule: dict[str, dict[str, Any]] = {}
    for result in results:
        if result.outcome != "not_applicable":
            continue
        for rule_id in result.unjudged_rules:
            entry = by_rule.setdefault(rule_id, {"rule": rule_id, "lacks": set(), "tests": []})
            entry["lacks"].update(result.lacks)
            entry["tests"].append(result.nodeid)
    return [{**e, "lacks": sorted(e["lacks"])} for _, e in sorted(by_rule.items())]


def build(profile: str, started: float, results: list[TestResult],
          target: Mapping[str, str] | None = None,
          lacking: Mapping[str, list[str]] | None = None, *,
          clauses: list[dict[str, Any]] | None = None,
          run: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`lacking` is every capability the target does not have, with the rules it would
    have let the harness judge: what does not apply, said once for the whole run.
    `clauses` are the rule-clause matrix's rows (harness.checks.coverage), kept as given;
    `run` says when and with what (times, versions, seed), kept as given.

    Each violation carries its `view` (step table, timeline, snapshot differences) read
    from its artefacts now, so that the pages render from summary.json alone."""
    duration = time.time() - started
    properties: dict[str, dict[str, Any]] = {}
    defects: dict[str, dict[str, Any]] = {}
    for result in results:
        bucket = properties.setdefault(result.property_name, {
            "tests": 0, "passed": 0, "failed": 0, "errors": 0, "not_applicable": 0,
            "skipped": 0, "scenarios": 0, "events": 0, "duration_s": 0.0})
        bucket["tests"] += 1
        bucket[{"passed": "passed", "violation": "failed", "error": "errors",
                "not_applicable": "not_applicable", "skipped": "skipped"}[result.outcome]] += 1
        judged = [r for r in result.records if r.applicable]
        bucket["scenarios"] += len(judged)
        bucket["events"] += sum(r.events for r in judged)
        bucket["duration_s"] = round(bucket["duration_s"] + result.seconds, 2)
        if result.outcome == "violation":
            _add_findings(defects, result, started)
    violations = sorted(defects.values(), key=lambda d: d["detected_after_s"] or 0.0)
    events = sum(p["events"] for p in properties.values())
    return {
        "run": dict(run or {}),
        "target": dict(target or {}),
        "curated": _curated(results),
        "capabilities_lacking": dict(lacking or {}),
        "profile": profile,
        "passed": sum(1 for r in results if r.outcome == "passed"),
        "failed": sum(1 for r in results if r.outcome == "violation"),
        "errors": sum(1 for r in results if r.outcome == "error"),
        "skipped": sum(1 for r in results if r.outcome == "skipped"),
        "not_applicable": _not_applicable(results),
        "duration_s": round(duration, 2),
        "events_checked": events,
        "events_per_minute": round(events / duration * 60, 1) if duration else 0.0,
        "properties": properties,
        "violations": violations,
        "harness_errors": [{"test": r.nodeid, "message": r.message}
                           for r in results if r.outcome == "error"],
        "clauses": list(clauses or []),
    }


def _curated(results: list[TestResult]) -> list[dict[str, str]]:
    """Every curated scenario the run judged, with its verdict and artefact folder: what a
    passing page links, so a reader sees what was run, not only that it passed."""
    found = []
    for result in results:
        for record in result.records:
            if record.scenario_id and not is_generated_id(record.scenario_id):
                outcome = ("not applicable" if not record.applicable
                           else "held" if record.ok else "violated")
                found.append({"id": record.scenario_id, "property": record.property_name,
                              "outcome": outcome, "artefacts": record.artefacts})
    return sorted(found, key=lambda entry: (entry["property"], entry["id"]))


def _add_findings(defects: dict[str, dict[str, Any]], result: TestResult,
                  started: float) -> None:
    """One entry per defect (what a violation shows, harness.reports.records), whichever tests
    found it: the smallest scenario that shows it is the entry's, every other is folded
    under it as an occurrence. A failed test with no recorded violation keeps an entry of
    its own, with the test's message."""
    finals = distinct_failures(result.records)
    if not finals:
        defects[f"?{result.nodeid}"] = {
            "defect": "?", "id": "", "property": result.property_name, "rules": [],
            "test": result.nodeid, "events": 0, "steps": 0, "detected_after_s": None,
            "artefacts": "", "explanation": result.message, "violations": [], "repro": "",
            "view": None, "occurrences": []}
        return
    for defect, final in finals:
        found = [r for r in result.records
                 if any(v.get("defect", v["rule"]) == defect for v in r.violations)]
        detected = round(min(r.finished_at for r in found or [final]) - started, 2)
        occurrence = {"id": final.scenario_id, "test": result.nodeid,
                      "property": result.property_name, "events": final.events,
                      "steps": final.steps, "repro": final.repro,
                      "artefacts": final.artefacts, "detected_after_s": detected}
        entry = defects.get(defect)
        if entry is not None:
            entry["occurrences"].append(occurrence)
            entry["detected_after_s"] = min(entry["detected_after_s"], detected)
            if (final.steps, final.events) >= (entry["steps"], entry["events"]):
                continue
        defects[defect] = {
            "defect": defect,
            "id": final.scenario_id,
            "property": result.property_name,
            "rules": final.broken_rules,
            "test": result.nodeid,
            "events": final.events,
            "steps": final.steps,
            "detected_after_s": detected if entry is None else entry["detected_after_s"],
            "artefacts": final.artefacts,
            "explanation": final.explain(),
            "violations": final.violations,
            "repro": final.repro,
            "view": violation_view(final.scenario_id, final.artefacts, final.violations),
            "occurrences": [*(entry["occurrences"] if entry else []),
                            *([] if entry else [occurrence])],
        }


def write(folder: Path, summary: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False),
                                         encoding="utf-8")
    (folder / "summary.md").write_text(markdown(summary), encoding="utf-8")
    (folder / "summary.html").write_text(page(summary), encoding="utf-8")
