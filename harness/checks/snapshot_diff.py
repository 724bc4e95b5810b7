"""Differences between two canonical snapshots, said per table and primary key.

A raw deepdiff of two lists of rows speaks of list indexes, which shift when one row is
missing; keying each table by its primary key first makes every line point at a row a
person can find: `run_summary[r1].steps: expected 2, observed 3`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from harness.contract.schema import PRIMARY_KEYS, REFERENCE_TABLES
from harness.contract.snapshot import VOLATILE

Keys = Mapping[str, str | None]


def keyed_rows(table: str, rows: list[dict[str, Any]],
               keys: Keys = PRIMARY_KEYS) -> dict[str, dict[str, Any]]:
    """A table's rows by primary key (`keys`: the module's own tables' keys beside the
    contract's); a table without one, or a row lacking it, by the row's whole content, a
    repeated row of a multiset numbered, so it still shows up as missing or extra."""
    key = keys.get(table, PRIMARY_KEYS.get(table))
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = str(row[key]) if key is not None and key in row else json.dumps(
            row, sort_keys=True, default=repr)
        repeat, numbered = 1, name
        while numbered in found:
            repeat += 1
            numbered = f"{name} (#{repeat})"
        found[numbered] = row
    return found


def _keyed(snapshot: Mapping[str, list[dict[str, Any]]],
           keys: Keys) -> dict[str, dict[str, dict[str, Any]]]:
    return {table: keyed_rows(table, rows, keys) for table, rows in snapshot.items()}


def _text(rows: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Equal texts, equal snapshots: unlike ==, JSON tells 1 from 1.0 and from true."""
    return json.dumps(rows, sort_keys=True, default=repr)


def _path(elements: list[Any]) -> str:
    if not elements:
        return "snapshot"
    table, *rest = elements
    text = str(table)
    if rest:
        text += f"[{rest[0]}]"
    for column in rest[1:]:
        text += f".{column}"
    return text


@dataclass(frozen=True)
class Cell:
    """One difference: its table, the primary key of its row (None for a whole table),
    and the line that says it."""

    table: str
    key: str | None
    line: str


def diff_cells(expected: Mapping[str, list[dict[str, Any]]],
               observed: Mapping[str, list[dict[str, Any]]],
               keys: Keys = PRIMARY_KEYS) -> list[Cell]:
    """One cell per differing value, missing row or extra row, in line order; empty when
    equal."""
    expected_rows, observed_rows = _keyed(expected, keys), _keyed(observed, keys)
    if _text(expected_rows) == _text(observed_rows):  # the usual case; deepdiff is slow
        return []
    delta = DeepDiff(expected_rows, observed_rows, verbose_level=2, view="tree")
    cells: list[Cell] = []

    def add(elements: list[Any], text: str) -> None:
        table = str(elements[0]) if elements else "snapshot"
        key = str(elements[1]) if len(elements) > 1 else None
        cells.append(Cell(table, key, f"{_path(elements)}: {text}"))
    for change in [*delta.get("values_changed", []), *delta.get("type_changes", [])]:
        add(change.path(output_format="list"),
            f"expected {change.t1!r}, observed {change.t2!r}")
    for added in delta.get("dictionary_item_added", []):
        add(added.path(output_format="list"), f"unexpected, observed {added.t2!r}")
    for removed in delta.get("dictionary_item_removed", []):
        add(removed.path(output_format="list"), f"missing, expected {removed.t1!r}")
    return sorted(cells, key=lambda cell: cell.line)


def diff_lines(expected: Mapping[str, list[dict[str, Any]]],
               observed: Mapping[str, list[dict[str, Any]]],
               keys: Keys = PRIMARY_KEYS) -> list[str]:
    """One line per differing cell, missing row or extra row; empty when equal."""
    return [cell.line for cell in diff_cells(expected, observed, keys)]


def tables_differing(lines: list[str]) -> set[str]:
    """The tables named by `diff_lines` output."""
    return {line.split("[", 1)[0].split(":", 1)[0] for line in lines}


def _volatile_columns(rows: list[dict[str, Any]]) -> set[str]:
    """Columns a target masked in every row of a table (its declared volatile columns)."""
    if not rows:
        return set()
    return set.intersection(*({c for c, v in row.items() if v == VOLATILE} for row in rows))


def mask_like(expected: Mapping[str, list[dict[str, Any]]],
              observed: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """`expected` with the columns `observed` masked as volatile masked too (M5, G1).

    A target declares which of its columns hold a time of application; the oracle's rows
    know nothing of that, so the mask is read off the observed rows and applied to both."""
    masked: dict[str, list[dict[str, Any]]] = {}
    for table, rows in expected.items():
        volatile = _volatile_columns(observed.get(table, []))
        masked[table] = [{**row, **dict.fromkeys(volatile, VOLATILE)} for row in rows]
    return masked


Rows = Mapping[str, list[dict[str, Any]]]


def contract_view(expected: Rows, observed: Rows) -> tuple[dict[str, list[dict[str, Any]]],
                                                        dict[str, list[dict[str, Any]]]]:
    """The oracle's snapshot and the target's, cut to what both can hold, for an absolute
    comparison: the tables the target has, and in each the contract's columns the target
    has. A table the module does not have, a column it lacks (`kind`, `oldest_seq`), a
    column or a table of its own (`body_bytes`, `stream_tally`) is no difference from the
    reference contract, only a part the contract cannot judge; relative comparisons (the
    target with itself) keep every table and column."""
    expected_view: dict[str, list[dict[str, Any]]] = {}
    observed_view: dict[str, list[dict[str, Any]]] = {}
    for table, rows in observed.items():
        schema = REFERENCE_TABLES.get(table)
        if schema is None:  # a table of the module's own: the oracle has no opinion of it
            continue
        contract = set(schema.columns)
        keep = contract & set().union(*(row.keys() for row in rows)) if rows else contract
        expected_view[table] = [{c: v for c, v in row.items() if c in keep}
                                for row in expected.get(table, [])]
        observed_view[table] = [{c: v for c, v in row.items() if c in keep} for row in rows]
    return expected_view, observed_view


def table_keys(snapshots: Mapping[str, Any]) -> dict[str, str | None]:
    """The primary keys of the tables a run's snapshots hold: the contract's, and those the
    module's schema gave its own tables (recorded with the run as `table_keys`)."""
    recorded = snapshots.get("table_keys")
    return {**PRIMARY_KEYS, **(recorded if isinstance(recorded, dict) else {})}
