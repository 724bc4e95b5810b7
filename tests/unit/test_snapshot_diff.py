"""Snapshot differences per table and key; equal snapshots skip deepdiff, but only when
they are equal as JSON, so a number stored as a float or a flag as an integer still shows."""

from __future__ import annotations

import pytest

from harness.checks.snapshot_diff import diff_lines

ROW = {"run_id": "r1", "steps": 2, "status": "running"}


def test_equal_snapshots_have_no_lines() -> None:
    assert diff_lines({"run_summary": [ROW]}, {"run_summary": [dict(ROW)]}) == []


@pytest.mark.parametrize("observed", [2.0, True, "2", 3])
def test_a_cell_of_another_value_or_type_is_one_line(observed: object) -> None:
    lines = diff_lines({"run_summary": [ROW]}, {"run_summary": [{**ROW, "steps": observed}]})
    assert lines == [f"run_summary[r1].steps: expected 2, observed {observed!r}"]


def test_missing_and_extra_rows_are_named_by_key() -> None:
    kept, gone, new = ROW, {**ROW, "run_id": "r2"}, {**ROW, "run_id": "r3"}
    assert diff_lines({"run_summary": [kept, gone]}, {"run_summary": [kept, new]}) == [
        f"run_summary[r2]: missing, expected {gone!r}",
        f"run_summary[r3]: unexpected, observed {new!r}",
    ]
