"""The run summary: reports/summary.json, summary.html (no other tool needed), summary.md.

Counts per property, durations, throughput, and every violation with its scenario ID
and the rules it broke. A test that failed without a recorded violation is a harness
error and is listed apart, so the two are never confused.
"""

from __future__ import annotations

import dataclasses
import html
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.reports.records import ScenarioRecord, distinct_failures

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
          clauses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`lacking` is every capability the target does not have, with the rules it would
    have let the harness judge: what does not apply, said once for the whole run."""
    duration = time.time() - started
    properties: dict[str, dict[str, Any]] = {}
    violations: list[dict[str, Any]] = []
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
            failing = [r for r in result.records if not r.ok]
            detected = round(failing[0].finished_at - started, 2) if failing else None
            finals: list[ScenarioRecord | None] = [*distinct_failures(result.records)]
            for final in finals or [None]:
                violations.append({
                    "id": final.scenario_id if final else "",
                    "property": result.property_name,
                    "rules": final.broken_rules if final else [],
                    "test": result.nodeid,
                    "events": final.events if final else 0,
                    "detected_after_s": detected,
                    "artefacts": final.artefacts if final else "",
                    "explanation": final.explain() if final else result.message,
                    "violations": final.violations if final else [],
                })
    events = sum(p["events"] for p in properties.values())
    return {
        "target": dict(target or {}),
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


def write(folder: Path, summary: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False),
                                         encoding="utf-8")
    (folder / "summary.md").write_text(markdown(summary), encoding="utf-8")
    (folder / "summary.html").write_text(page(summary), encoding="utf-8")


def _rows(summary: dict[str, Any]) -> list[list[str]]:
    return [[name, str(p["tests"]), str(p["passed"]), str(p["failed"]), str(p["errors"]),
             str(p["not_applicable"]), str(p["scenarios"]), str(p["events"]),
             f"{p['duration_s']:.1f}"]
            for name, p in sorted(summary["properties"].items())]


HEADER = ["property", "tests", "passed", "violations", "errors", "n/a", "scenarios", "events",
          "seconds"]


def markdown(summary: dict[str, Any]) -> str:
    target = summary["target"]
    lines = [f"# Conformance run of {target.get('target', '?')} ({summary['profile']})", "",
             *[f"- {key}: `{value}`" for key, value in sorted(target.items())], "",
             f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} "
             f"harness errors, {summary['skipped']} skipped in {summary['duration_s']} s; "
             f"{summary['events_checked']} events checked "
             f"({summary['events_per_minute']}/min).", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(summary)]
    if summary["capabilities_lacking"]:
        lines += ["", "## What the target lacks", "", "| capability | rules not judged |",
                  "|---|---|"]
        lines += [f"| {name} | {', '.join(rules)} |"
                  for name, rules in sorted(summary["capabilities_lacking"].items())]
    if summary["not_applicable"]:
        lines += ["", "## Not applicable", "", "| rule | the target lacks | tests |",
                  "|---|---|---|"]
        lines += [f"| {n['rule']} | {', '.join(n['lacks'])} | {len(n['tests'])} |"
                  for n in summary["not_applicable"]]
    for violation in summary["violations"]:
        lines += ["", f"## {', '.join(violation['rules'])} ({violation['property']})",
                  f"`{violation['id']}`", "", "```", violation["explanation"], "```"]
    for error in summary["harness_errors"]:
        lines += ["", f"## harness error in {error['test']}", "```", error["message"], "```"]
    return "\n".join(lines) + "\n"


def page(summary: dict[str, Any]) -> str:
    esc = html.escape
    table = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                    for row in _rows(summary))
    failures = "".join(
        f"<section class='bad'><h3>{esc(', '.join(v['rules']))} — {esc(v['property'])}</h3>"
        f"<p>Scenario ID (reproduce with <code>stdb-harness repro ID</code>):</p>"
        f"<pre class='id'>{esc(v['id'])}</pre><pre>{esc(v['explanation'])}</pre></section>"
        for v in summary["violations"])
    errors = "".join(f"<section class='err'><h3>harness error: {esc(e['test'])}</h3>"
                     f"<pre>{esc(e['message'])}</pre></section>"
                     for e in summary["harness_errors"])
    target = "".join(f"<tr><td>{esc(k)}</td><td><code>{esc(v)}</code></td></tr>"
                     for k, v in sorted(summary["target"].items()))
    missing = "".join(f"<tr><td>{esc(n['rule'])}</td><td>{esc(', '.join(n['lacks']))}</td>"
                      f"<td>{len(n['tests'])}</td></tr>" for n in summary["not_applicable"])
    lacks = "".join(f"<tr><td>{esc(name)}</td><td>{esc(', '.join(rules))}</td></tr>"
                    for name, rules in sorted(summary["capabilities_lacking"].items()))
    not_applicable = (f"<h2>What the target lacks</h2><table><tr><th>capability</th>"
                      f"<th>rules not judged</th></tr>{lacks}</table>" if lacks else "")
    not_applicable += (f"<h2>Not applicable</h2><table><tr><th>rule</th><th>the target lacks"
                       f"</th><th>tests</th></tr>{missing}</table>" if missing else "")
    verdict = "CONFORMANT" if not summary["failed"] and not summary["errors"] else (
        "VIOLATIONS FOUND" if summary["failed"] else "HARNESS ERRORS")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>stdb-harness: {esc(verdict)}</title><style>
body{{font-family:sans-serif;margin:2em;max-width:70em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .7em;text-align:right}} td:first-child{{text-align:left}}
pre{{background:#f4f4f4;padding:.6em;white-space:pre-wrap;word-break:break-all}}
.bad h3{{color:#a00}} .err h3{{color:#a60}} .id{{font-size:.8em}}
</style></head><body>
<h1>{esc(verdict)}</h1>
<h2>Target</h2><table>{target}</table>
<p>Profile <b>{esc(summary['profile'])}</b>: {summary['passed']} passed,
{summary['failed']} with violations, {summary['errors']} harness errors,
{summary['skipped']} skipped, in {summary['duration_s']} s;
{summary['events_checked']} events checked ({summary['events_per_minute']} per minute).</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in HEADER)}</tr>{table}</table>
{not_applicable}{failures}{errors}
</body></html>
"""
