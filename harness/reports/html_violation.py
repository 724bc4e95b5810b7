"""One violation as an HTML article: what broke, the steps, the timeline, the table diff,
and the command that replays it.

Rendered from the violation's entry in summary.json (its `view`, harness.reports.
violation_view), never from the artefacts, so the page is as portable as the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any


def _fields(fields: Mapping[str, str]) -> str:
    return "".join(f"<span class='field'><span class='name'>{escape(name)}</span> "
                   f"<code>{escape(value)}</code></span>" for name, value in fields.items())


def _broken(anchor: str, violations: Sequence[Mapping[str, Any]]) -> str:
    items = "".join(
        f"<li><span class='rule'>{escape(str(v['rule']))}</span>"
        + ("<span class='tag'>relative</span> " if v.get("relative") else "")
        + f"{escape(str(v['message']))}"
        + (f" <a href='#{anchor}-step-{v['step']}'>step {v['step']}</a>"
           if v.get("step") is not None else "") + "</li>"
        for v in violations)
    return f"<ul class='broken'>{items}</ul>"


def _steps(anchor: str, steps: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr id='{anchor}-step-{s['number']}' "
        f"class='{'bad' if s['rules'] or not s['agrees'] else 'ok'}'>"
        f"<td class='num'>{s['number']}</td><td class='op'>{escape(s['op'])}</td>"
        f"<td class='fields'>{_fields(s['fields'])}</td>"
        f"<td class='{'observed' if s['agrees'] else 'observed wrong'}'>"
        f"{escape(s['observed'])}</td>"
        f"<td class='expected'>{escape(s['expected'])}</td>"
        f"<td>{''.join(f'<span class=rule>{escape(r)}</span>' for r in s['rules'])}</td></tr>"
        for s in steps)
    return ("<table class='steps'><thead><tr><th>#</th><th>step</th><th>fields</th>"
            "<th>observed</th><th>expected</th><th>rules</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _chip(cell: Mapping[str, Any]) -> str:
    """One thing that happened in a lane, coloured by its phase; a wrong one says what was
    expected."""
    answer = (f"<div class='answer'>&rarr; {escape(cell['answer'])}</div>"
              if cell.get("answer") else "")
    bad = " bad" if cell.get("bad") else ""
    expected = (f"<div class='{'want' if bad else 'oracle'}'>expected: "
                f"{escape(cell['expected'])}</div>" if cell.get("expected") else "")
    why = (f"<div class='why'>violates {escape(', '.join(cell['why']))}</div>"
           if cell.get("why") else "")
    return (f"<div class='chip {escape(cell['phase'])}{bad}'>{escape(cell['text'])}"
            f"{answer}{expected}{why}</div>")


def _timeline(view: Mapping[str, Any]) -> str:
    lanes = view["lanes"]
    if not lanes:
        return "<p>No steps were recorded.</p>"
    head = "".join(f"<th class='lane'>{escape(lane['id'])}"
                   + (f"<div class='stream'>{escape(lane['stream'])}</div>"
                      if lane["stream"] else "") + "</th>" for lane in lanes)
    rows = "".join(f"<tr><td class='num'>{row['step']}</td>"
                   + "".join(f"<td>{_chip(row['cells'][lane['id']])}</td>"
                             if lane["id"] in row["cells"] else "<td class='empty'></td>"
                             for lane in lanes) + "</tr>"
                   for row in view["rows"])
    end = view.get("end", {})
    if end:
        rows += "<tr class='end'><td class='num'>end</td>" + "".join(
            "<td>" + "".join(_chip(cell) for cell in end.get(lane["id"], [])) + "</td>"
            for lane in lanes) + "</tr>"
    return (f"<div class='scroll'><table class='timeline'><thead><tr><th>#</th>{head}</tr>"
            f"</thead><tbody>{rows}</tbody></table></div>")


def _diff(diff: Sequence[Mapping[str, str]], property_name: str) -> str:
    if property_name == "token_parity":
        return "<p>Token routes keep no tables: the differences are in the answers above.</p>"
    if not diff:
        return "<p>The snapshots compared agree: the violation is in the answers above.</p>"
    rows, label = "", None
    for d in diff:
        if d["label"] != label:
            label = d["label"]
            rows += f"<tr class='label'><th colspan='5'>{escape(label)}</th></tr>"
        rows += (f"<tr><td>{escape(d['table'])}</td><td class='key'>{escape(d['key'])}</td>"
                 f"<td>{escape(d['column']) or '(whole row)'}</td>"
                 f"<td class='expected'><code>{escape(d['expected'])}</code></td>"
                 f"<td class='observed'><code>{escape(d['observed'])}</code></td></tr>")
    return ("<table class='diff'><thead><tr><th>table</th><th>primary key</th><th>column</th>"
            f"<th>expected</th><th>observed</th></tr></thead><tbody>{rows}</tbody></table>")


def ordered_rules(violation: Mapping[str, Any]) -> list[str]:
    """The rules a violation broke in its checker's order, the bug's own rule first (the
    summary's `rules` are sorted, which can put a consequential G1 first)."""
    view = violation.get("view") or {}
    return list(view.get("rules") or violation["rules"])


def violation_article(number: int, violation: Mapping[str, Any]) -> str:
    anchor = f"violation-{number}"
    view = violation.get("view") or {}
    rules = ", ".join(ordered_rules(violation)) or "?"
    repro = violation.get("repro") or f"stdb-harness repro '{violation['id']}'"
    note = f"<p class='note'>{escape(view['note'])}</p>" if view.get("note") else ""
    artefacts = (f"<dt>artefacts</dt><dd><code>{escape(violation['artefacts'])}</code></dd>"
                 if violation.get("artefacts") else "")
    broken = _broken(anchor, view.get("violations") or violation["violations"])
    body = ""
    if view.get("steps"):
        diff = _diff(view["diff"], violation["property"])
        body += (f"<h4>Minimal counterexample, step by step</h4>{_steps(anchor, view['steps'])}"
                 f"<h4>Timeline, one lane per stream</h4>{_timeline(view['timeline'])}"
                 f"<h4>Table and primary-key differences</h4>{diff}")
    defect = violation.get("defect") or "?"
    return (f"<article class='violation' id='{anchor}'>"
            f"<h3><span class='rule'>{escape(rules)}</span> {escape(defect)}: "
            f"{escape(violation['property'])}"
            f"<span class='test'>{escape(violation['test'])}</span></h3>"
            f"<dl><dt>reproduce</dt><dd><pre class='repro'>{escape(repro)}</pre></dd>"
            f"<dt>scenario ID</dt><dd><pre class='id'>{escape(violation['id'])}</pre></dd>"
            f"{artefacts}</dl>"
            f"<h4>What broke</h4>{broken}{_follow_ons(view)}"
            f"{note}{body}{_occurrences(violation)}</article>")


def _follow_ons(view: Mapping[str, Any]) -> str:
    found = view.get("follow_ons") or []
    if not found:
        return ""
    items = "".join(f"<li><span class='rule'>{escape(v['rule'])}</span>{escape(v['message'])}"
                    "</li>" for v in found)
    return (f"<details><summary>{len(found)} difference(s) that follow from it (not findings "
            f"of their own)</summary><ul class='broken'>{items}</ul></details>")


def _occurrences(violation: Mapping[str, Any]) -> str:
    """Every scenario that showed this defect, folded: one defect is one entry."""
    others = [o for o in violation.get("occurrences") or [] if o["id"] != violation["id"]]
    if not others:
        return ""
    items = "".join(f"<li>{escape(o['test'])} ({o['events']} events): "
                    f"<code>{escape(o['repro'] or o['id'])}</code></li>" for o in others)
    return (f"<details><summary>also found by {len(others)} other scenario(s)</summary>"
            f"<ul class='broken'>{items}</ul></details>")
