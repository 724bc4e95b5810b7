"""Snapshot differences as rows to lay out: table, primary key, column, expected, observed.

The checkers word their differences as lines of a verdict (harness.checks.snapshot_diff);
a report shows the same differences as a table a person scans by row, so here each one is
data: which table, which row (by its primary key), which column, and both values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.checks.snapshot_diff import Keys, keyed_rows, mask_like
from harness.contract.canonical import canonical_json
from harness.contract.schema import PRIMARY_KEYS

MISSING = "(no row)"

Tables = Mapping[str, list[dict[str, Any]]]


def _text(value: object) -> str:
    """A cell as it would be written in a snapshot (canonical JSON, E4), or as Python writes
    it where it has no canonical form (a module's NaN)."""
    try:
        return canonical_json(value)
    except ValueError:
        return repr(value)


def table_diff(label: str, expected: Tables, observed: Tables,
               keys: Keys = PRIMARY_KEYS) -> list[dict[str, str]]:
    """One row per differing cell, missing row or extra row; empty when equal.

    Columns `observed` masks as volatile (M5) are masked in `expected` too, as the checkers
    do, so a time of application never shows as a difference."""
    want_tables = mask_like(expected, observed)
    found: list[dict[str, str]] = []
    for table in sorted(set(want_tables) | set(observed)):
        want = keyed_rows(table, want_tables.get(table, []), keys)
        seen = keyed_rows(table, observed.get(table, []), keys)
        for key in sorted(set(want) | set(seen)):
            where = {"label": label, "table": table, "key": key}
            if key not in seen:
                found.append({**where, "column": "", "expected": _text(want[key]),
                              "observed": MISSING})
            elif key not in want:
                found.append({**where, "column": "", "expected": MISSING,
                              "observed": _text(seen[key])})
            else:
                for column in sorted(set(want[key]) | set(seen[key])):
                    a, b = want[key].get(column), seen[key].get(column)
                    if a != b:
                        found.append({**where, "column": column, "expected": _text(a),
                                      "observed": _text(b)})
    return found
