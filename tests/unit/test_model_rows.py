"""The oracle's rows have the reference module's tables and columns (§3, §4, G1)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from dataclasses import fields

import pytest

from harness.contract.schema import PRIMARY_KEYS, REFERENCE_TABLES
from harness.model.module import ReferenceModel
from harness.model.rows import (
    CheckpointRow,
    RunSummaryRow,
    StreamHeadRow,
    SyncEventRow,
    WorkerStatusRow,
)

ROW_TYPES = {
    "sync_event": SyncEventRow,
    "stream_head": StreamHeadRow,
    "stream_checkpoint": CheckpointRow,
    "run_summary": RunSummaryRow,
    "worker_status": WorkerStatusRow,
}


@pytest.mark.parametrize("table", sorted(ROW_TYPES))
def test_G1_row_columns_follow_the_reference_schema(table: str) -> None:
    schema = REFERENCE_TABLES[table]
    assert tuple(field.name for field in fields(ROW_TYPES[table])) == schema.columns
    assert schema.primary_key == schema.columns[0] == PRIMARY_KEYS[table]


def test_G1_model_snapshot_has_every_reference_table() -> None:
    assert set(ReferenceModel("p").snapshot()) == set(REFERENCE_TABLES)
