"""The run summary: reports/summary.json, summary.html (no other tool needed), summary.md.

Counts per property, durations, throughput, and every violation with its scenario ID
and the rules it broke. A test that failed without a recorded violation is a harness
error and is listed apart, so the two are never confused.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.reports.records import ScenarioRecord

SUITE_PROPERTIES = ("idempotence", "rebuild", "stale_cursor", "token_parity")


@dataclass
class TestResult:
    nodeid: str
    outcome: str  # passed | violation | error | skipped
    seconds: float
    message: str = ""
    records: list[ScenarioRecord] = field(default_factory=list)

    @property
    def property_name(self) -> str:
        for name in SUITE_PROPERTIES:
            if name in self.nodeid:
                return name
        return self.records[0].property_name if self.records else "harness"


def build(profile: str, started: float, results: list[TestResult]) -> dict[str, Any]:
    duration = time.time() - started
    properties: dict[str, dict[str, Any]] = {}
    violations: list[dict[str, Any]] = []
    for result in results:
        bucket = properties.setdefault(result.property_name, {
            "tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0,
            "scenarios": 0, "events": 0, "duration_s": 0.0})
        bucket["tests"] += 1
        bucket[{"passed": "passed", "violation": "failed", "error": "errors",
                "skipped": "skipped"}[result.outcome]] += 1
        bucket["scenarios"] += len(result.records)
        bucket["events"] += sum(r.events for r in result.records)
        bucket["duration_s"] = round(bucket["duration_s"] + result.seconds, 2)
        if result.outcome == "violation":
            failing = [r for r in result.records if not r.ok]
            final = failing[-1] if failing else None
            detected = round(failing[0].finished_at - started, 2) if failing else None
            violations.append({
                "id": final.scenario_id if final else "",
                "property": result.property_name,
                "rules": sorted({str(v["rule"]) for v in final.violations}) if final else [],
                "test": result.nodeid,
                "events": final.events if final else 0,
                "detected_after_s": detected,
                "artefacts": final.artefacts if final else "",
                "explanation": result.message[:4000],
            })
    events = sum(p["events"] for p in properties.values())
    return {
        "profile": profile,
        "passed": sum(1 for r in results if r.outcome == "passed"),
        "failed": sum(1 for r in results if r.outcome == "violation"),
        "errors": sum(1 for r in results if r.outcome == "error"),
        "skipped": sum(1 for r in results if r.outcome == "skipped"),
        "duration_s": round(duration, 2),
        "events_checked": events,
        "events_per_minute": round(events / duration * 60, 1) if duration else 0.0,
        "properties": properties,
        "violations": violations,
        "harness_errors": [{"test": r.nodeid, "message": r.message[:2000]}
                           for r in results if r.outcome == "error"],
    }


def write(folder: Path, summary: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False),
                                         encoding="utf-8")
    (folder / "summary.md").write_text(markdown(summary), encoding="utf-8")
    (folder / "summary.html").write_text(page(summary), encoding="utf-8")


def _rows(summary: dict[str, Any]) -> list[list[str]]:
    return [[name, str(p["tests"]), str(p["passed"]), str(p["failed"]), str(p["errors"]),
             str(p["scenarios"]), str(p["events"]), f"{p['duration_s']:.1f}"]
            for name, p in sorted(summary["properties"].items())]


HEADER = ["property", "tests", "passed", "violations", "errors", "scenarios", "events", "seconds"]


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# Conformance run ({summary['profile']})", "",
             f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} "
             f"harness errors, {summary['skipped']} skipped in {summary['duration_s']} s; "
             f"{summary['events_checked']} events checked "
             f"({summary['events_per_minute']}/min).", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(summary)]
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
<p>Profile <b>{esc(summary['profile'])}</b>: {summary['passed']} passed,
{summary['failed']} with violations, {summary['errors']} harness errors,
{summary['skipped']} skipped, in {summary['duration_s']} s;
{summary['events_checked']} events checked ({summary['events_per_minute']} per minute).</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in HEADER)}</tr>{table}</table>
{failures}{errors}
</body></html>
"""
