"""ack_checkpoint in the oracle (M6)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.events import Event
from harness.model.module import ReferenceModel
from harness.model.project import replay

PUB = "publisher"
STREAM = "runtime.worker.w1.lifecycle"


def model_with(head: int) -> ReferenceModel:
    return replay(
        [Event("worker:w1:lifecycle", s, "worker.heartbeat", {}, s) for s in range(1, head + 1)],
        PUB,
    )


def test_M6_checkpoint_is_keyed_by_caller_identity() -> None:
    model = model_with(3)
    assert model.ack_checkpoint("aa", STREAM, 3).succeeded
    assert model.ack_checkpoint("bb", STREAM, 1).succeeded
    assert model.snapshot()["stream_checkpoint"] == [
        {
            "checkpoint_key": f"aa:{STREAM}",
            "client_identity": "aa",
            "stream_id": STREAM,
            "last_applied_seq": 3,
        },
        {
            "checkpoint_key": f"bb:{STREAM}",
            "client_identity": "bb",
            "stream_id": STREAM,
            "last_applied_seq": 1,
        },
    ]


def test_M6_only_forward_equal_is_fine() -> None:
    model = model_with(5)
    assert model.ack_checkpoint("aa", STREAM, 4).succeeded
    assert model.ack_checkpoint("aa", STREAM, 4).succeeded
    assert model.ack_checkpoint("aa", STREAM, 3).error == (
        "checkpoint_regression current_seq=4 requested_seq=3"
    )
    assert model.snapshot()["stream_checkpoint"][0]["last_applied_seq"] == 4


def test_M6_never_past_head() -> None:
    model = model_with(2)
    assert model.ack_checkpoint("aa", STREAM, 3).error == (
        "checkpoint_ahead_of_head requested_seq=3 head_seq=2"
    )
    assert model.snapshot()["stream_checkpoint"] == []
    assert ReferenceModel(PUB).ack_checkpoint("aa", STREAM, 0).succeeded


def test_M6_head_check_precedes_regression_check() -> None:
    model = model_with(2)
    model.ack_checkpoint("aa", STREAM, 2)
    assert model.ack_checkpoint("aa", STREAM, 9).error == (
        "checkpoint_ahead_of_head requested_seq=9 head_seq=2"
    )


def test_M6_invalid_stream() -> None:
    assert model_with(1).ack_checkpoint("aa", "nope", 0).error == "invalid_event stream_id"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["aa", "bb"]), st.integers(0, 6)), max_size=12))
def test_M6_each_identity_keeps_its_running_maximum(acks: list[tuple[str, int]]) -> None:
    model = model_with(5)
    stored: dict[str, int] = {}
    for caller, seq in acks:
        outcome = model.ack_checkpoint(caller, STREAM, seq)
        accepted = seq <= 5 and seq >= stored.get(caller, 0)
        assert outcome.succeeded == accepted, (caller, seq, outcome)
        if accepted:
            stored[caller] = seq
    rows = model.snapshot()["stream_checkpoint"]
    assert {row["client_identity"]: row["last_applied_seq"] for row in rows} == stored


def test_M6_an_ack_naming_another_client_is_refused_before_any_other_check() -> None:
    model = model_with(3)
    assert model.ack_checkpoint("aa", STREAM, 2).succeeded
    # past the head as well: naming another is what is refused first
    refused = model.ack_checkpoint("bb", STREAM, 9, named="aa")
    assert refused.error == "unauthorized"
    assert [row["last_applied_seq"] for row in model.snapshot()["stream_checkpoint"]] == [2]
    assert model.ack_checkpoint("bb", STREAM, 1, named="bb").succeeded
