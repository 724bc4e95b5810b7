"""Canonical snapshots (G1): one comparable text for the state of a set of tables.

A snapshot must not depend on the order in which a database happens to return rows, nor on
columns that legitimately differ between two correct runs (M5's volatile columns), or two
equal states would compare unequal. Sorting by primary key and masking volatile columns
removes both, and canonical JSON (E4) makes equality a plain string comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Set
from typing import Any

from harness.contract.canonical import canonical_json
from harness.contract.rules import cite
from harness.contract.schema import REFERENCE_TABLES

VOLATILE = "<volatile>"

Snapshot = dict[str, list[dict[str, Any]]]


class SnapshotError(ValueError):
    """Rows that cannot form a snapshot: no primary key declared, or a key missing or
    repeated, which a real table with that primary key cannot hold."""


def canonical_snapshot(
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    primary_keys: Mapping[str, str | None],
    volatile: Mapping[str, Set[str]],
) -> Snapshot:
    """Every table as a list of rows sorted by primary key, volatile columns masked (G1).
    A table whose key is None has none: its rows are a multiset, sorted by their canonical
    JSON, so two equal multisets compare equal whatever order the server returned."""
    snapshot: Snapshot = {}
    for table, rows in tables.items():
        if table not in primary_keys:
            raise SnapshotError(cite("G1", f"table {table!r} has no primary key declared"))
        key = primary_keys[table]
        masked = volatile.get(table, frozenset())
        if key is None:
            snapshot[table] = sorted(
                ({column: VOLATILE if column in masked else value
                  for column, value in row.items()} for row in rows), key=_row_text)
            continue
        by_key: dict[Any, dict[str, Any]] = {}
        for row in rows:
            if key not in row:
                raise SnapshotError(cite("G1", f"{table}: row {dict(row)!r} lacks {key!r}"))
            if row[key] in by_key:
                raise SnapshotError(cite("G1", f"{table}: two rows with {key}={row[key]!r}"))
            by_key[row[key]] = {
                column: VOLATILE if column in masked else value for column, value in row.items()
            }
        snapshot[table] = [by_key[pk] for pk in sorted(by_key)]
    return snapshot


def _row_text(row: Mapping[str, Any]) -> str:
    """A total order over rows of any values (a module's floats may be NaN, its integers
    wider than canonical JSON's)."""
    return json.dumps(row, sort_keys=True, default=repr)


def snapshot_json(snapshot: Mapping[str, Any]) -> str:
    """The canonical JSON (E4) of a snapshot; two snapshots are equal when these are (G1)."""
    return canonical_json(snapshot)


def contract_tables(snapshot: Mapping[str, list[dict[str, Any]]]) -> Snapshot:
    """Only the tables the contract names: a target's snapshot holds every table of its
    module (the reference's own `module_publisher` too), the oracle's only these."""
    return {table: list(rows) for table, rows in snapshot.items() if table in REFERENCE_TABLES}
