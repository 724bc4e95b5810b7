"""The foreign client adapter's own stale-cursor computation (harness_adapters/client).

The client works out CONTRACT R3 itself from the stream's `ledger_head` row. These tests pin
its text against the harness's oracle everywhere the planted defect does not reach, and pin
the defect where it does: a gap exactly as long as the budget is refused.
"""

from __future__ import annotations

import pytest

from examples.foreign.harness_adapters.client import (
    Head,
    LedgerClientSide,
    client,
    events_query,
    head_query,
    held_row,
    stale_cursor_error,
    stale_reason,
)
from harness.contract.error_texts import StaleCode, stale_cursor
from harness.targets.capabilities import Capability
from harness.targets.sides import HeldRow

STREAM = "runtime.run.r1.events"


def _oracle(cursor: int, budget: int, head: Head) -> str | None:
    """R3 as CONTRACT.md states it, `>` in the budget rule."""
    codes: list[StaleCode] = []
    if cursor < head.floor - 1:
        codes.append("retention_floor_breach")
    if cursor <= head.head and head.head - cursor > budget:
        codes.append("replay_budget_exceeded")
    if cursor > head.head:
        codes.append("cursor_ahead_of_head")
    if not codes:
        return None
    return stale_cursor(codes, stream_id=STREAM, requested_after_seq=cursor,
                        oldest_available_cursor=head.floor - 1, head_cursor=head.head,
                        replay_budget=budget)


def test_empty_stream_resumes_at_zero_and_refuses_ahead() -> None:
    assert stale_cursor_error(STREAM, 0, 5, Head()) is None
    assert stale_cursor_error(STREAM, 3, 5, Head()) == (
        f"stale_cursor reason=cursor_ahead_of_head stream_id={STREAM} requested_after_seq=3 "
        "oldest_available_cursor=0 head_cursor=0 replay_budget=5")


def test_codes_are_in_the_contract_order() -> None:
    assert stale_reason(1, 2, Head(head=10, floor=5)) == [
        "retention_floor_breach", "replay_budget_exceeded"]
    assert stale_reason(12, 2, Head(head=10, floor=5)) == ["cursor_ahead_of_head"]
    assert stale_reason(6, 10, Head(head=10, floor=5)) == []


@pytest.mark.parametrize("floor", [1, 3])
@pytest.mark.parametrize("head", [0, 1, 4, 9])
@pytest.mark.parametrize("budget", [0, 1, 3, 100])
@pytest.mark.parametrize("cursor", [0, 1, 2, 4, 5, 9, 11])
def test_agrees_with_the_oracle_except_at_the_budget_edge(cursor: int, budget: int, head: int,
                                                          floor: int) -> None:
    state = Head(head, floor if head >= floor else 1)
    answer = stale_cursor_error(STREAM, cursor, budget, state)
    oracle = _oracle(cursor, budget, state)
    if cursor <= head and head - cursor == budget:
        assert answer is not None and "replay_budget_exceeded" in answer
        assert oracle is None or "replay_budget_exceeded" not in oracle
    else:
        assert answer == oracle


def test_planted_defect_a_gap_equal_to_the_budget_is_refused() -> None:
    assert stale_reason(7, 3, Head(head=10)) == ["replay_budget_exceeded"]  # R3: resumable
    assert stale_reason(10, 0, Head(head=10)) == ["replay_budget_exceeded"]
    assert stale_reason(8, 3, Head(head=10)) == []


def test_queries_quote_the_stream_id() -> None:
    assert head_query("a'b") == "SELECT * FROM ledger_head WHERE stream = 'a''b'"
    assert events_query("a'b", 4) == (
        "SELECT * FROM ledger_event WHERE stream = 'a''b' AND offset > 4")


def test_factory_options_and_capabilities() -> None:
    side = client(timeout=2, max_resumes=3)
    assert side == LedgerClientSide(2.0, 3)
    assert side.capabilities == frozenset({Capability.CLIENT})
    with pytest.raises(ValueError, match="unknown options"):
        client(replay_budget=3)


def test_a_held_ledger_row_is_told_in_the_contract_s_names_and_hash_form() -> None:
    """The harness compares it with the module's row as the mapping renders it (R2, R4): its
    own names mapped, the digest prefixed as E5's hash, the module's key and clock left out."""
    row = {"key": f"{STREAM}/2/run.step", "stream": STREAM, "offset": 2, "kind": "run.step",
           "body": '{"tokens":1}', "digest": "ab12", "committed_ms": 1700000000123,
           "applied_at": {"__timestamp_micros_since_unix_epoch__": 1}}
    assert held_row(row) == HeldRow(2, {
        "stream_id": STREAM, "kind": "run.step", "payload_json": '{"tokens":1}',
        "payload_hash": "sha256:ab12", "published_at_ms": 1700000000123})
