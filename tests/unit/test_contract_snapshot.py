"""G1 canonical snapshots."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.snapshot import (
    VOLATILE,
    SnapshotError,
    canonical_snapshot,
    snapshot_json,
)


def test_G1_rows_sorted_by_primary_key_and_volatile_masked() -> None:
    rows = [
        {"id": "b", "n": 2, "applied_at": 111},
        {"id": "a", "n": 1, "applied_at": 222},
    ]
    snapshot = canonical_snapshot({"t": rows}, {"t": "id"}, {"t": {"applied_at"}})
    assert snapshot == {
        "t": [
            {"id": "a", "n": 1, "applied_at": VOLATILE},
            {"id": "b", "n": 2, "applied_at": VOLATILE},
        ]
    }
    assert rows[0]["applied_at"] == 111


def test_G1_integer_keys_sort_numerically() -> None:
    rows = [{"k": 10}, {"k": 9}, {"k": 100}]
    assert canonical_snapshot({"t": rows}, {"t": "k"}, {}) == {
        "t": [{"k": 9}, {"k": 10}, {"k": 100}]
    }


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=4), st.integers(0, 5), max_size=8),
    st.randoms(use_true_random=False),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
)
def test_G1_equal_states_give_equal_text_whatever_the_order_and_volatile_values(
    table: dict[str, int], rng: random.Random, stamp_a: int, stamp_b: int
) -> None:
    rows_a = [{"id": key, "v": value, "at": stamp_a} for key, value in table.items()]
    rows_b = [{"id": key, "v": value, "at": stamp_b} for key, value in table.items()]
    rng.shuffle(rows_b)
    snap = {"t": "id"}, {"t": {"at"}}
    text_a = snapshot_json(canonical_snapshot({"t": rows_a}, *snap))
    text_b = snapshot_json(canonical_snapshot({"t": rows_b}, *snap))
    assert text_a == text_b


def test_G1_a_changed_value_changes_the_text() -> None:
    first = canonical_snapshot({"t": [{"id": 1, "v": "x"}]}, {"t": "id"}, {})
    second = canonical_snapshot({"t": [{"id": 1, "v": "y"}]}, {"t": "id"}, {})
    assert snapshot_json(first) != snapshot_json(second)


def test_G1_snapshot_json_is_canonical() -> None:
    snapshot = canonical_snapshot({"t": [{"id": "é", "b": 1, "a": None}]}, {"t": "id"}, {})
    assert snapshot_json(snapshot) == '{"t":[{"a":null,"b":1,"id":"é"}]}'


@pytest.mark.parametrize(
    ("tables", "keys"),
    [
        ({"t": [{"id": 1}]}, {}),
        ({"t": [{"v": 1}]}, {"t": "id"}),
        ({"t": [{"id": 1}, {"id": 1}]}, {"t": "id"}),
    ],
)
def test_G1_rows_that_cannot_be_a_keyed_table_are_refused(
    tables: dict[str, list[dict[str, int]]], keys: dict[str, str]
) -> None:
    with pytest.raises(SnapshotError, match="G1"):
        canonical_snapshot(tables, keys, {})
