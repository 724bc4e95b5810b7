"""reports/summary.md: the HTML page's content as Markdown, for a CI job summary or a PR.

The same sections in the same order, from the same JSON: the run, each violation with its
repro command, steps, timeline and table diff, and the rule-clause matrix by family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.reports.clause_matrix import NEVER, VIOLATED, families, tally
from harness.reports.property_table import PROPERTY_HEADER, property_rows


def cell(text: object) -> str:
    """Text that cannot break a Markdown table row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]]


def _matrix(clauses: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["", "## Rule-clause matrix"]
    if not clauses:
        return [*lines, "", "No clause coverage was recorded in this run."]
    for group in families(clauses):
        lines += ["", f"### {group['family']}: {group['section']} ({tally(group)})", ""]
        lines += table(("clause", "what it says", "exercised", "violated", "state"), [
            [r["clause"], r.get("title", "") + (" (relative)" if r.get("relative") else ""),
             r.get("exercised", 0), r.get("violated", 0),
             f"**{r['words']}**" if r["state"] in (VIOLATED, NEVER) else r["words"]]
            for r in group["rows"]])
    return lines


def _timeline(view: Mapping[str, Any]) -> list[str]:
    lanes = [lane["id"] for lane in view["lanes"]]

    def chip(c: Mapping[str, Any]) -> str:
        text = c["text"] + (f" -> {c['answer']}" if c.get("answer") else "")
        text += f" (expected: {c['expected']})" if c.get("expected") else ""
        text += f" violates {', '.join(c['why'])}" if c.get("why") else ""
        return f"**{text}**" if c.get("bad") else text
    rows = [[row["step"], *[chip(row["cells"][lane]) if lane in row["cells"] else ""
                            for lane in lanes]] for row in view["rows"]]
    end = view.get("end", {})
    if end:
        rows.append(["end", *["; ".join(chip(c) for c in end.get(lane, [])) for lane in lanes]])
    return table(["#", *lanes], rows)


def _violation(number: int, v: Mapping[str, Any]) -> list[str]:
    view = v.get("view") or {}
    rules = ", ".join(view.get("rules") or v["rules"]) or "?"
    lines = ["", f"### {number}. {v.get('defect') or '?'}: {rules} ({v['property']})", "",
             "Reproduce:", "", "```", v.get("repro") or f"stdb-harness repro '{v['id']}'",
             "```", "", f"Scenario ID: `{v['id']}`"]
    if v.get("artefacts"):
        lines += ["", f"Artefacts: `{v['artefacts']}`"]
    lines += [""] + [f"- **{x['rule']}** " + ("(relative) " if x.get("relative") else "")
                     + x["message"]
                     + (f" (step {x['step']})" if x.get("step") is not None else "")
                     for x in view.get("violations") or v["violations"]]
    lines += [f"- (follows from the above) **{x['rule']}** {x['message']}"
              for x in view.get("follow_ons") or []]
    others = [o for o in v.get("occurrences") or [] if o["id"] != v["id"]]
    if others:
        lines += ["", f"Also found by {len(others)} other scenario(s): "
                  + ", ".join(f"`{o['test']}`" for o in others)]
    if view.get("note"):
        lines += ["", f"_{view['note']}_"]
    if view.get("steps"):
        lines += ["", "#### Minimal counterexample", ""]
        lines += table(("#", "step", "fields", "observed", "expected", "rules"), [
            [s["number"], s["op"], " ".join(f"{k}=`{x}`" for k, x in s["fields"].items()),
             s["observed"] if s["agrees"] else f"**{s['observed']}**", s["expected"],
             ", ".join(s["rules"])] for s in view["steps"]])
        lines += ["", "#### Timeline, one lane per stream", "", *_timeline(view["timeline"])]
        lines += ["", "#### Table and primary-key differences", ""]
        lines += (table(("compared", "table", "primary key", "column", "expected", "observed"),
                        [[d["label"], d["table"], d["key"], d["column"] or "(whole row)",
                          f"`{d['expected']}`", f"`{d['observed']}`"] for d in view["diff"]])
                  if view["diff"] else ["Token routes keep no tables."
                                        if v["property"] == "token_parity"
                                        else "The snapshots compared agree."])
    return lines


def markdown(summary: Mapping[str, Any]) -> str:
    target = summary["target"]
    lines = [f"# Conformance run of {target.get('target', '?')} ({summary['profile']})", "",
             *[f"- {key}: `{value}`" for key, value in (summary.get("run") or {}).items()],
             *[f"- {key}: `{value}`" for key, value in sorted(target.items())], "",
             f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} "
             f"harness errors, {summary['skipped']} skipped in {summary['duration_s']} s; "
             f"{summary['events_checked']} events checked "
             f"({summary['events_per_minute']}/min).", "",
             *table(PROPERTY_HEADER, property_rows(summary))]
    curated = summary.get("curated") or []
    if curated:
        lines += ["", f"Curated scenarios run ({len(curated)}): "
                  + ", ".join(f"`{c['id']}` {c['outcome']}" for c in curated)]
    if summary["violations"]:
        lines += ["", "## Violations"]
        for number, violation in enumerate(summary["violations"], start=1):
            lines += _violation(number, violation)
    lines += _matrix(summary.get("clauses", []))
    if summary["capabilities_lacking"]:
        lines += ["", "## What the target lacks", ""]
        lines += table(("capability", "rules not judged"),
                       [[name, ", ".join(rules)]
                        for name, rules in sorted(summary["capabilities_lacking"].items())])
    if summary["not_applicable"]:
        lines += ["", "## Not applicable", ""]
        lines += table(("rule", "the target lacks", "tests"),
                       [[n["rule"], ", ".join(n["lacks"]), len(n["tests"])]
                        for n in summary["not_applicable"]])
    for error in summary["harness_errors"]:
        lines += ["", f"## harness error in {error['test']}", "```", error["message"], "```"]
    return "\n".join(lines) + "\n"
