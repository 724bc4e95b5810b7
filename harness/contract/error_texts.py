"""The exact error texts of the module's reducers (M1, M4, M6, R3).

The texts are part of the contract: the publisher classifies an error by its first word
(B3) and clients parse stale_cursor's fields to recover (R4). Building them in one place
keeps the oracle, the stub and the checks from each inventing a slightly different spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

UNAUTHORIZED = "unauthorized"
IDEMPOTENCY_CONFLICT = "idempotency_conflict"

InvalidField = Literal[
    "stream_id",
    "idempotency_key",
    "kind",
    "payload_json",
    "payload_hash",
    "seq",
    "payload",
    "through_seq",
]

StaleCode = Literal["retention_floor_breach", "replay_budget_exceeded", "cursor_ahead_of_head"]


def invalid_event(field: InvalidField) -> str:
    """M1 step 2 and M4: the first field that failed validation."""
    return f"invalid_event {field}"


def sequence_conflict(expected_next_seq: int, actual_seq: int) -> str:
    """M1 step 5: the event is not the stream's next one."""
    return f"sequence_conflict expected_next_seq={expected_next_seq} actual_seq={actual_seq}"


def checkpoint_ahead_of_head(requested_seq: int, head_seq: int) -> str:
    """M6: a checkpoint past the stream's head."""
    return f"checkpoint_ahead_of_head requested_seq={requested_seq} head_seq={head_seq}"


def checkpoint_regression(current_seq: int, requested_seq: int) -> str:
    """M6: a checkpoint behind the caller's stored one."""
    return f"checkpoint_regression current_seq={current_seq} requested_seq={requested_seq}"


def stale_cursor(
    codes: Sequence[StaleCode],
    *,
    stream_id: str,
    requested_after_seq: int,
    oldest_available_cursor: int,
    head_cursor: int,
    replay_budget: int,
) -> str:
    """R3: why a cursor cannot resume, with everything a client needs to recover (R4)."""
    return (
        f"stale_cursor reason={','.join(codes)} stream_id={stream_id}"
        f" requested_after_seq={requested_after_seq}"
        f" oldest_available_cursor={oldest_available_cursor}"
        f" head_cursor={head_cursor} replay_budget={replay_budget}"
    )
