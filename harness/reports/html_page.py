"""reports/summary.html: one self-contained page (inline CSS, no script, no fetches).

Top to bottom in the order a person asks: did it pass, against what, for each violation
the command to replay it and the steps, timeline and table diff that show it, then which
rules were really exercised (the clause matrix, long: every clause of the contract). It must end in
`</body></html>`: `stdb-harness mutants` inserts its own section before that.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from harness.reports.html_matrix import matrix_section
from harness.reports.html_violation import ordered_rules, violation_article
from harness.reports.property_table import PROPERTY_HEADER, property_rows

STYLE = """
:root{--bad:#b3261e;--bad-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;--ok:#1e6b34;
--ok-bg:#e7f5ea;--muted:#666;--line:#d5d8dc;--code:#f5f6f7}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1d1f21;margin:0;background:#fafafa}
main{max-width:78em;margin:0 auto;padding:1.2em 2em 3em;background:#fff}
h1{margin:.2em 0 .4em;font-size:1.7em}
h2{margin-top:1.8em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h4{margin:1.4em 0 .4em;font-size:1.02em;color:#333}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.86em}
pre{background:var(--code);padding:.5em .7em;margin:0;white-space:pre-wrap;
word-break:break-all;border-radius:4px}
table{border-collapse:collapse;margin:.4em 0}
th,td{border:1px solid var(--line);padding:.3em .6em;vertical-align:top;text-align:left}
thead th{background:#eef0f2;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.banner{padding:.7em 1em;border-radius:6px;font-weight:700;font-size:1.25em;color:#fff}
.banner.bad{background:var(--bad)} .banner.ok{background:var(--ok)}
.banner.err{background:var(--warn)}
nav ul{margin:.3em 0;padding-left:1.2em} nav li{margin:.1em 0}
.rule{display:inline-block;background:var(--bad);color:#fff;border-radius:3px;
padding:0 .35em;margin-right:.3em;font-weight:600;font-size:.9em}
.legend .state{margin-left:1em}
.tag{display:inline-block;border:1px solid #7a8ca3;color:#40536b;border-radius:3px;
padding:0 .35em;margin:0 .4em;font-size:.78em;vertical-align:1px}
.state{display:inline-block;border-radius:3px;padding:0 .45em;font-size:.9em;
white-space:nowrap}
.state.violated{background:var(--bad);color:#fff;font-weight:600}
.state.never-exercised{background:var(--warn-bg);color:var(--warn);font-weight:600;
border:1px solid #e2b33c}
.state.not-applicable,.state.not-in-profile{background:#eceff1;color:var(--muted)}
.state.held{background:var(--ok-bg);color:var(--ok)}
table.matrix{width:100%}
.matrix td.id{font-family:"DejaVu Sans Mono",monospace;white-space:nowrap;font-weight:600}
.matrix tr.family-head th{background:#e4e8ec;font-size:1.02em;padding:.45em .6em}
.family-id{display:inline-block;min-width:1.6em;font-weight:800}
.tally{float:right;font-weight:400;color:var(--muted);font-size:.9em}
.matrix tr.violated td{background:var(--bad-bg)}
.matrix tr.never-exercised td{background:#fffaeb}
.matrix tr.not-applicable td,.matrix tr.not-in-profile td{color:var(--muted)}
article.violation{border:1px solid var(--line);border-left:6px solid var(--bad);
border-radius:6px;padding:.4em 1.2em 1.2em;margin:1.4em 0}
article.violation h3{font-size:1.25em;margin:.6em 0}
article.violation h3 .test{display:block;font-weight:400;font-size:.72em;color:var(--muted)}
dl{display:grid;grid-template-columns:7.5em 1fr;gap:.35em .8em;margin:.6em 0}
dt{font-weight:600;color:#444;padding-top:.3em} dd{margin:0;min-width:0}
pre.repro{background:#1f2933;color:#e6edf3;font-size:.9em}
pre.id{font-size:.74em;color:#444;max-height:5.5em;overflow:auto}
ul.broken{margin:.3em 0;padding-left:1.2em} ul.broken li{margin:.25em 0}
table.steps{width:100%}
.steps td.op{font-weight:600;white-space:nowrap}
.steps tr.ok td.expected{color:var(--muted)}
.steps tr.bad td{background:var(--bad-bg)}
.steps td.wrong{color:var(--bad);font-weight:600}
.field{display:inline-block;margin:0 .8em .1em 0}
.field .name{color:var(--muted);font-size:.88em}
.steps td.fields{min-width:22em;width:34%}
.field code{background:var(--code);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table.timeline td,table.timeline th{min-width:13em;max-width:30em}
table.timeline td.num,table.timeline th:first-child{min-width:3em;width:3em}
table.timeline td.empty{background:#fbfbfc}
th.lane{font-family:"DejaVu Sans Mono",monospace;font-size:.9em}
th.lane .stream{font-weight:400;color:var(--muted);font-size:.85em}
.chip{border-radius:4px;padding:.2em .45em;margin:.1em 0;font-size:.9em;border:1px solid}
.chip .answer{font-size:.92em}
.chip .want{font-size:.92em;font-weight:600;color:var(--ok)}
.chip .oracle{font-size:.85em;color:var(--muted)}
.chip .why{font-size:.88em;font-weight:600;color:var(--bad)}
.chip.journaled{background:#eef2f7;border-color:#b7c4d6}
.chip.sent,.chip.other,.chip.unknown{background:#f3f0fa;border-color:#c7bde0}
.chip.acknowledged{background:var(--ok-bg);border-color:#9fcfaa}
.chip.refused{background:#fff3e6;border-color:#f0b67a}
.chip.delivered{background:#e8f4fb;border-color:#98c7e3}
.chip.observed{background:#f6f6f6;border-color:#c9c9c9}
.chip.bad{background:var(--bad-bg);border:2px solid var(--bad)}
tr.end td{border-top:3px double #999;background:#fcfcfc}
table.diff tr.label th{background:#eef0f2;font-weight:600}
table.diff{width:100%} .diff code{overflow-wrap:anywhere}
.diff td.key{font-family:"DejaVu Sans Mono",monospace;font-weight:600}
.diff td.expected code{color:var(--ok)} .diff td.observed code{color:var(--bad);font-weight:600}
.note{color:var(--warn)}
section.err h3{color:var(--warn)}
"""


def _verdict(summary: Mapping[str, Any]) -> tuple[str, str]:
    if summary["failed"]:
        return "bad", "VIOLATIONS FOUND"
    if summary["errors"]:
        return "err", "HARNESS ERRORS"
    return "ok", "CONFORMANT"


def _numeric(cell: str) -> bool:
    return cell.replace(".", "", 1).isdigit()


def _table(header: tuple[str, ...], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{escape(cell)}</td>" if _numeric(cell) else f"<td>{escape(cell)}</td>"
        for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _contents(summary: Mapping[str, Any]) -> str:
    links = "".join(f"<li><a href='#violation-{n}'>{escape(v.get('defect') or '?')}: "
                    f"{escape(', '.join(ordered_rules(v)) or '?')} "
                    f"({escape(v['property'])})</a></li>"
                    for n, v in enumerate(summary["violations"], start=1))
    return ("<nav><ul><li><a href='#run'>The run</a></li>"
            + (f"<li><a href='#violations'>Violations</a><ul>{links}</ul></li>" if links else "")
            + "<li><a href='#clause-matrix'>Rule-clause matrix</a></li></ul></nav>")


def _lacking(summary: Mapping[str, Any]) -> str:
    found = ""
    if summary["capabilities_lacking"]:
        found += "<h2>What the target lacks</h2>" + _table(
            ("capability", "rules not judged"),
            [[name, ", ".join(rules)]
             for name, rules in sorted(summary["capabilities_lacking"].items())])
    if summary["not_applicable"]:
        found += "<h2>Not applicable</h2>" + _table(
            ("rule", "the target lacks", "tests"),
            [[n["rule"], ", ".join(n["lacks"]), str(len(n["tests"]))]
             for n in summary["not_applicable"]])
    return found


def _run_facts(summary: Mapping[str, Any]) -> str:
    """When and with what: times, versions, seed, profile."""
    facts = summary.get("run") or {}
    return _table(("run", "value"), [[k, str(v)] for k, v in facts.items()]) if facts else ""


def _curated_list(summary: Mapping[str, Any]) -> str:
    """The curated scenarios the run judged, each linked to its artefacts, relative to
    the page (reports/runs/<slug>/ beside summary.html)."""
    entries = summary.get("curated") or []
    if not entries:
        return ""
    items = []
    for entry in entries:
        folder = entry["artefacts"].rstrip("/").rsplit("/", 2)
        link = "/".join(folder[-2:]) + "/" if entry["artefacts"] else ""
        name = (f"<a href='{escape(link)}'>{escape(entry['id'])}</a>" if link
                else escape(entry["id"]))
        items.append(f"<li>{name} ({escape(entry['property'])}): "
                     f"<span class='state {'held' if entry['outcome'] == 'held' else 'violated'}'>"
                     f"{escape(entry['outcome'])}</span></li>")
    return (f"<h3 id='curated'>Curated scenarios run ({len(entries)})</h3>"
            f"<ul class='curated'>{''.join(items)}</ul>")


def page(summary: Mapping[str, Any]) -> str:
    kind, verdict = _verdict(summary)
    name = summary["target"].get("target", "?")
    target = _run_facts(summary) + _table(
        ("pin", "value"), [[k, str(v)] for k, v in sorted(summary["target"].items())])
    violations = "".join(violation_article(n, v)
                         for n, v in enumerate(summary["violations"], start=1))
    errors = "".join(f"<section class='err'><h3>harness error: {escape(e['test'])}</h3>"
                     f"<pre>{escape(e['message'])}</pre></section>"
                     for e in summary["harness_errors"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>stdb-harness: {escape(verdict)} ({escape(name)})</title><style>{STYLE}</style></head>
<body><main>
<div class="banner {kind}">{escape(verdict)}: {escape(name)}, profile {escape(summary['profile'])}
</div>
{_contents(summary)}
<section id="run"><h2>The run</h2>{target}
<p>{summary['passed']} passed, {summary['failed']} with violations, {summary['errors']} harness
errors, {summary['skipped']} skipped, in {summary['duration_s']} s;
{summary['events_checked']} events checked ({summary['events_per_minute']} per minute).</p>
{_table(PROPERTY_HEADER, property_rows(summary))}{_curated_list(summary)}</section>
{f'<section id="violations"><h2>Violations</h2>{violations}</section>' if violations else ""}
{matrix_section(summary.get("clauses", []))}
{_lacking(summary)}{errors}
</main></body></html>
"""
