"""resume_stream in the oracle: the gap (R2) and the stale_cursor texts (R3)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.events import Event
from harness.model.module import ReferenceModel
from harness.model.project import replay

PUB = "publisher"
STREAM = "runtime.run.r1.events"
STALE = re.compile(
    r"stale_cursor reason=(?P<codes>[a-z_,]+) stream_id=(?P<stream>\S+)"
    r" requested_after_seq=(?P<c>\d+) oldest_available_cursor=(?P<floor>\d+)"
    r" head_cursor=(?P<head>\d+) replay_budget=(?P<budget>\d+)"
)
CODE_ORDER = ["retention_floor_breach", "replay_budget_exceeded", "cursor_ahead_of_head"]


def stream_model(head: int, compacted_through: int = 0) -> ReferenceModel:
    model = replay(
        [Event("run:r1:events", seq, "run.step", {"tokens": 1}, seq) for seq in range(1, head + 1)],
        PUB,
    )
    if compacted_through:
        assert model.compact_stream(PUB, STREAM, compacted_through).succeeded
    return model


@pytest.mark.parametrize(
    ("head", "compacted", "cursor", "budget", "codes"),
    [
        (10, 5, 4, 100, "retention_floor_breach"),
        (10, 0, 0, 9, "replay_budget_exceeded"),
        (10, 5, 2, 3, "retention_floor_breach,replay_budget_exceeded"),
        (10, 5, 11, 100, "cursor_ahead_of_head"),
        (0, 0, 1, 0, "cursor_ahead_of_head"),
    ],
)
def test_R3_stale_cursor_text(
    head: int, compacted: int, cursor: int, budget: int, codes: str
) -> None:
    outcome = stream_model(head, compacted).resume_stream("client", STREAM, cursor, budget)
    assert outcome.error == (
        f"stale_cursor reason={codes} stream_id={STREAM} requested_after_seq={cursor}"
        f" oldest_available_cursor={compacted} head_cursor={head} replay_budget={budget}"
    )


def test_R3_empty_stream_resumes_from_zero() -> None:
    outcome = ReferenceModel(PUB).resume_stream("client", STREAM, 0, 0)
    assert outcome.succeeded
    assert outcome.gap == ()


def test_R3_boundaries_resume() -> None:
    model = stream_model(10, 5)
    assert model.resume_stream("c", STREAM, 5, 5).succeeded
    assert model.resume_stream("c", STREAM, 10, 0).succeeded
    assert not model.resume_stream("c", STREAM, 5, 4).succeeded


def test_R2_gap_is_exactly_the_events_after_the_cursor_in_order() -> None:
    gap = stream_model(6, 2).resume_stream("c", STREAM, 3, 10).gap
    assert [row.seq for row in gap] == [4, 5, 6]
    assert all(row.stream_id == STREAM for row in gap)


@settings(max_examples=300, deadline=None)
@given(
    head=st.integers(0, 8),
    data=st.data(),
    cursor=st.integers(0, 10),
    budget=st.integers(0, 10),
)
def test_R3_codes_follow_their_definitions(
    head: int, data: st.DataObject, cursor: int, budget: int
) -> None:
    compacted = data.draw(st.integers(0, head))
    outcome = stream_model(head, compacted).resume_stream("c", STREAM, cursor, budget)
    expected = [
        code
        for code, broken in zip(
            CODE_ORDER,
            [cursor < compacted, cursor <= head and head - cursor > budget, cursor > head],
            strict=True,
        )
        if broken
    ]
    if not expected:
        assert [row.seq for row in outcome.gap] == list(range(cursor + 1, head + 1))
        return
    assert outcome.error is not None
    match = STALE.fullmatch(outcome.error)
    assert match is not None, outcome.error
    assert match["codes"].split(",") == expected
    assert match["stream"] == STREAM
    numbers = [int(match[name]) for name in ("c", "floor", "head", "budget")]
    assert numbers == [cursor, compacted, head, budget]
