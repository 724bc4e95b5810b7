"""The rule-clause matrix grouped for reading: by rule family, each clause with its state.

The rows come from summary.json's "clauses" (filled by harness.checks.coverage); both
pages group and word them the same way, so that is decided here once. What needs a
reader's eye is set apart: a clause violated, and an applicable clause this run never
exercised (a pass that proves nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.contract.rules import UnknownRuleError, rule

FAMILIES = ("E", "S", "M", "P", "B", "R", "T", "G")

VIOLATED, NEVER, NOT_APPLICABLE, OFF_PROFILE, HELD = (
    "violated", "never-exercised", "not-applicable", "not-in-profile", "held")


def state(row: Mapping[str, Any]) -> tuple[str, str]:
    """(state, words): a violation shows whatever else is true; then a clause the profile
    leaves out, one the target cannot exercise (naming what it lacks), one never reached."""
    if int(row.get("violated", 0)) > 0:
        return VIOLATED, "violated"
    if not row.get("in_profile", True):
        return OFF_PROFILE, "not in profile"
    if not row.get("applicable", True):
        lacks = ", ".join(str(name) for name in row.get("lacks", []))
        return NOT_APPLICABLE, f"n/a (lacks {lacks})" if lacks else "n/a"
    if int(row.get("exercised", 0)) == 0:
        return NEVER, "never exercised"
    return HELD, "held"


def _order(clause: str) -> tuple[tuple[int, ...], str]:
    """By rule number first (M1 before M10, M1.9 before M1.10), then by name."""
    return tuple(int(n) for n in re.findall(r"\d+", clause)), clause


def _section(family: str, rows: Sequence[Mapping[str, Any]]) -> str:
    try:
        return rule(str(rows[0]["rule"])).section
    except UnknownRuleError:
        return family


def families(clauses: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per family present, in the contract's order: its section title, its rows (each with
    `state` and `words` added) and how many clauses are in each state."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in clauses:
        key, words = state(row)
        grouped.setdefault(str(row.get("rule", "?"))[:1], []).append(
            {**row, "state": key, "words": words})
    found: list[dict[str, Any]] = []
    for family in [*FAMILIES, *sorted(set(grouped) - set(FAMILIES))]:
        rows = sorted(grouped.get(family, []), key=lambda r: _order(str(r["clause"])))
        if rows:
            counts = {key: sum(1 for r in rows if r["state"] == key)
                      for key in (VIOLATED, NEVER, NOT_APPLICABLE, OFF_PROFILE, HELD)}
            found.append({"family": family, "section": _section(family, rows), "rows": rows,
                          "counts": counts})
    return found


def tally(group: Mapping[str, Any]) -> str:
    """A family's line: how many clauses and classes of input, how many need a look."""
    counts = group["counts"]
    classes = sum(1 for row in group["rows"] if row.get("input_class"))
    size = len(group["rows"]) - classes
    parts = [f"{size} clause" + ("s" if size != 1 else "")]
    parts += [f"{classes} input class" + ("es" if classes != 1 else "")] if classes else []
    parts += [f"{counts[key]} {words}" for key, words in (
        (VIOLATED, "violated"), (NEVER, "never exercised"), (NOT_APPLICABLE, "n/a"),
        (OFF_PROFILE, "not in profile")) if counts[key]]
    return ", ".join(parts)
