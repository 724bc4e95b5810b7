"""`stdb-harness mutants`: the pr profile against every mutant, and the detection matrix.

Each mutant runs in its own `stdb-harness run` process (fresh containers, its own reports
folder), exactly as a user would run the suite against their own broken code, stopping at
the first property that catches it (a full matrix of every property against every mutant
costs an hour on two cores; the question asked here is "is it caught, how fast, how
small"). A mutant is caught when the run exits 1 (a violation); exit 0 means it
escaped, and anything else is a harness error, reported as such. Results go to
reports/mutants.json and reports/mutants.html.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.commands.configured import configured, reports_dir
from harness.config.model import HarnessConfig, MutantConfig
from harness.errors import HarnessError

CAUGHT, ESCAPED = 1, 0


def _run_one(target: MutantConfig, config: HarnessConfig, reports: Path,
             extra: list[str]) -> dict[str, Any]:
    name = target.name
    folder = reports / "mutants" / name
    started = time.monotonic()
    code = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--profile", "pr",
                           "--config", str(config.path), "--mutant", name,
                           "--reports-dir", str(folder), "--first-failure", *extra],
                          capture_output=True, text=True, check=False).returncode
    wall = round(time.monotonic() - started, 1)
    summary: dict[str, Any] = {}
    if (folder / "summary.json").is_file():
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    violations = summary.get("violations", [])
    first = min(violations, key=lambda v: v.get("detected_after_s") or 1e9, default=None)
    smallest = min((v for v in violations if v["id"].startswith("stdb1.")),
                   key=lambda v: v["events"], default=first)
    return {
        "name": name, "layer": target.layer, "defect": target.defect,
        "rules": list(target.rules),
        "status": {CAUGHT: "caught", ESCAPED: "escaped"}.get(code, "harness_error"),
        "properties": sorted({v["property"] for v in violations}),
        "broken_rules": sorted({r for v in violations for r in v["rules"]}),
        # the rule the mutant is first reported under: its first finding's own rule
        "first_rule": first["defect"].split(":")[0] if first and first.get("defect") else None,
        "scenario_id": smallest["id"] if smallest else None,
        "counterexample_events": smallest["events"] if smallest else None,
        "detection_s": first.get("detected_after_s") if first else None,
        "wall_s": wall,
    }


def _run_with_one_retry(target: MutantConfig, config: HarnessConfig, reports: Path,
                        extra: list[str]) -> dict[str, Any]:
    row = _run_one(target, config, reports, extra)
    if row["status"] == "harness_error":
        # The run could not finish (an environment hiccup, not a verdict either way):
        # run it once more and say so. An escape (exit 0) is never re-run.
        row = {**_run_one(target, config, reports, extra), "retried_after_harness_error": True}
    return row


def write_report(reports: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    caught = [r for r in rows if r["status"] == "caught"]
    times = [r["detection_s"] for r in caught if r["detection_s"] is not None]
    sizes = [r["counterexample_events"] for r in caught if r["counterexample_events"] is not None]
    reports.mkdir(parents=True, exist_ok=True)  # also where no mutant run got to make it
    report = {
        "mutants": rows,
        "caught": len(caught),
        "total": len(rows),
        "median_detection_s": statistics.median(times) if times else None,
        "worst_detection_s": max(times) if times else None,
        "median_counterexample_events": statistics.median(sizes) if sizes else None,
    }
    (reports / "mutants.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    esc = html.escape
    body = "".join(
        f"<tr><td>{esc(r['name'])}</td><td>{esc(r['layer'])}</td><td>{esc(r['status'])}</td>"
        f"<td>{esc(', '.join(r['properties']))}</td><td>{esc(', '.join(r['broken_rules']))}</td>"
        f"<td>{r['detection_s']}</td><td>{r['counterexample_events']}</td>"
        f"<td><code>{esc(str(r['scenario_id'])[:80])}</code></td></tr>" for r in rows)
    section = (
        f"<section id='mutants'><h2>Mutants: {report['caught']}/{report['total']} caught</h2>"
        f"<p>median detection {report['median_detection_s']} s, worst "
        f"{report['worst_detection_s']} s, median counterexample "
        f"{report['median_counterexample_events']} events</p><table><tr>"
        "<th>mutant</th><th>layer</th><th>status</th><th>caught by</th><th>rules</th>"
        "<th>detection s</th><th>events</th><th>scenario ID</th></tr>"
        f"{body}</table></section>")
    (reports / "mutants.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Mutants</title><style>td,th{border:1px "
        "solid #999;padding:.3em}table{border-collapse:collapse}</style>" + section,
        encoding="utf-8")
    summary_page = reports / "summary.html"
    if summary_page.is_file():  # the run summary gets the same section, replacing any old one
        page = summary_page.read_text(encoding="utf-8")
        if "<section id='mutants'>" in page:
            page = page[:page.index("<section id='mutants'>")] + "</body></html>\n"
        summary_page.write_text(page.replace("</body></html>", section + "</body></html>"),
                                encoding="utf-8")
    return report


def run_mutants(args: argparse.Namespace) -> int:
    config = configured(args)
    reports = reports_dir(args, config)
    names = args.only or sorted(config.mutants, key=list(config.mutants).index)
    unknown = [name for name in names if name not in config.mutants]
    if unknown or not names:
        raise HarnessError(f"unknown mutant(s) {', '.join(unknown)}" if unknown else
                           f"{config.path} declares no mutants",
                           f"declared: {', '.join(config.mutants) or 'none'}")
    extra = ["--max-examples", str(args.max_examples)] if args.max_examples else []
    with ThreadPoolExecutor(max_workers=int(args.jobs)) as pool:
        # Each mutant is a process of its own; the threads only wait for them.
        finished = pool.map(lambda name: _run_with_one_retry(config.mutants[name], config,
                                                             reports, extra), names)
        rows = []
        for row in finished:
            print(f"{row['name']:<30} {row['status']:<14} by "
                  f"{','.join(row['properties']) or '-':<28} "
                  f"detection={row['detection_s']}s events={row['counterexample_events']} "
                  f"wall={row['wall_s']}s", flush=True)
            rows.append(row)
    report = write_report(reports, rows)
    print(f"caught {report['caught']}/{report['total']}; median detection "
          f"{report['median_detection_s']} s (worst {report['worst_detection_s']} s); median "
          f"counterexample {report['median_counterexample_events']} events; "
          f"{reports / 'mutants.html'}")
    if any(r["status"] == "harness_error" for r in rows):
        return 2
    return 0 if report["caught"] == report["total"] else 1
