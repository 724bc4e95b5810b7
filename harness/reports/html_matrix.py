"""The rule-clause matrix as an HTML section: one table, a band per rule family."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from harness.reports.clause_matrix import families, tally

LEGEND = ("<p class='legend'><span class='state violated'>violated</span> a run broke it "
          "<span class='state never-exercised'>never exercised</span> applicable, but no "
          "scenario reached it: its pass proves nothing "
          "<span class='state not-applicable'>n/a</span> the target lacks what it needs "
          "<span class='state not-in-profile'>not in profile</span> this profile does not "
          "run it</p>")


RELATIVE = ("<span class='tag' title='judged by comparing the target with itself: applies "
            "whatever its contract profile'>relative</span>")


def _row(row: Mapping[str, Any]) -> str:
    return (f"<tr class='clause {row['state']}'><td class='id'>{escape(str(row['clause']))}"
            f"</td><td class='title'>{escape(str(row.get('title', '')))}"
            f"{RELATIVE if row.get('relative') else ''}</td>"
            f"<td class='num'>{int(row.get('exercised', 0))}</td>"
            f"<td class='num'>{int(row.get('violated', 0))}</td>"
            f"<td><span class='state {row['state']}'>{escape(row['words'])}</span></td></tr>")


def matrix_section(clauses: Sequence[Mapping[str, Any]]) -> str:
    """The section, or a line saying no clause rows were recorded."""
    if not clauses:
        return ("<section id='clause-matrix'><h2>Rule-clause matrix</h2>"
                "<p>No clause coverage was recorded in this run.</p></section>")
    bands = "".join(
        f"<tbody class='family'><tr class='family-head'><th colspan='5'>"
        f"<span class='family-id'>{escape(group['family'])}</span> "
        f"{escape(group['section'])}<span class='tally'>{escape(tally(group))}</span>"
        f"</th></tr>{''.join(_row(row) for row in group['rows'])}</tbody>"
        for group in families(clauses))
    return (f"<section id='clause-matrix'><h2>Rule-clause matrix</h2>{LEGEND}"
            f"<table class='matrix'><thead><tr><th>clause</th><th>what it says</th>"
            f"<th>exercised</th><th>violated</th><th>state</th></tr></thead>{bands}"
            f"</table></section>")
