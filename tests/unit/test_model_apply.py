"""apply_event in the oracle: M1's order, M2 atomicity, M3 uniqueness."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.events import ApplyEventArgs, Event
from harness.contract.snapshot import snapshot_json
from harness.contract.streams import topic_of
from harness.model.module import ReferenceModel
from harness.model.outcome import Status

PUB = "c0ffee"
OTHER = "badbad"


def ev(
    seq: int, kind: str = "run.step", payload: Any = None, topic: str = "run:r1:events"
) -> Event:
    if payload is None:
        payload = {"tokens": seq}
    return Event(topic, seq, kind, payload, 1_700_000_000_000 + seq)


def args(seq: int, **kw: Any) -> ApplyEventArgs:
    return ev(seq, **kw).reducer_args()


def fresh(*events: Event) -> ReferenceModel:
    model = ReferenceModel(PUB)
    for event in events:
        assert model.apply_event(PUB, event.reducer_args()).status is Status.OK
    return model


def test_M1_step1_only_the_publisher_may_apply() -> None:
    model = fresh()
    outcome = model.apply_event(OTHER, args(1))
    assert outcome.error == "unauthorized"
    bad = args(1)._replace(stream_id="", kind="", seq=0)
    assert model.apply_event(OTHER, bad).error == "unauthorized"


def test_M1_step2_validation_precedes_duplicate_detection() -> None:
    model = fresh(ev(1))
    assert model.apply_event(PUB, args(1)._replace(payload_hash="")).error == (
        "invalid_event payload_hash"
    )


def test_M1_step3_same_key_same_hash_is_a_noop() -> None:
    model = fresh(ev(1), ev(2))
    before = snapshot_json(model.snapshot())
    outcome = model.apply_event(PUB, args(1))
    assert (outcome.status, outcome.detail, outcome.succeeded) == (Status.NOOP, "duplicate", True)
    assert snapshot_json(model.snapshot()) == before


def test_M1_step3_same_key_other_content_is_a_conflict_not_a_sequence_error() -> None:
    model = fresh(ev(1), ev(2))
    assert model.apply_event(PUB, args(1, payload={"tokens": 99})).error == "idempotency_conflict"
    later = Event("run:r1:events", 1, "run.step", {"tokens": 1}, 5)
    assert model.apply_event(PUB, later.reducer_args()).error == "idempotency_conflict"


def test_M1_step4_compacted_seq_is_a_noop_even_with_other_content() -> None:
    model = fresh(ev(1), ev(2))
    assert model.compact_stream(PUB, ev(1).stream_id, 1).status is Status.OK
    before = snapshot_json(model.snapshot())
    outcome = model.apply_event(PUB, args(1, payload={"tokens": 99}))
    assert (outcome.status, outcome.detail) == (Status.NOOP, "compacted")
    assert snapshot_json(model.snapshot()) == before


def test_M1_step5_gaps_and_rewinds_are_sequence_conflicts() -> None:
    model = fresh(ev(1))
    assert model.apply_event(PUB, args(3)).error == (
        "sequence_conflict expected_next_seq=2 actual_seq=3"
    )
    assert fresh().apply_event(PUB, args(2)).error == (
        "sequence_conflict expected_next_seq=1 actual_seq=2"
    )


def test_M1_step6_insert_advance_and_fold() -> None:
    model = fresh(ev(1, "run.created", {"owner": "alice"}), ev(2))
    snapshot = model.snapshot()
    assert [row["seq"] for row in snapshot["sync_event"]] == [1, 2]
    assert snapshot["sync_event"][1] == {
        "idempotency_key": "topic:run:r1:events:seq:2",
        "stream_id": "runtime.run.r1.events",
        "seq": 2,
        "kind": "run.step",
        "payload_json": '{"tokens":2}',
        "payload_hash": ev(2).payload_hash,
        "published_at_ms": 1_700_000_000_002,
    }
    assert snapshot["stream_head"] == [
        {"stream_id": "runtime.run.r1.events", "head_seq": 2, "oldest_seq": 1}
    ]
    assert snapshot["run_summary"][0]["owner"] == "alice"
    assert snapshot["run_summary"][0]["tokens_total"] == 2


def test_M1_payload_json_is_stored_as_sent() -> None:
    model = fresh()
    sent = args(1)._replace(payload_json='{ "tokens" : 1 }')
    assert model.apply_event(PUB, sent).status is Status.OK
    assert model.snapshot()["sync_event"][0]["payload_json"] == '{ "tokens" : 1 }'


def test_S3_stream_seq_is_topic_seq() -> None:
    model = fresh(ev(1), ev(2))
    for row in model.snapshot()["sync_event"]:
        assert row["idempotency_key"] == f"topic:{topic_of(row['stream_id'])}:seq:{row['seq']}"


# A random mix of valid, duplicate, conflicting and invalid calls on two streams.
TOPICS = ["run:r1:events", "worker:w1:lifecycle"]
KIND_PAYLOADS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "run:r1:events": [("run.step", {"tokens": 1}), ("run.created", {"owner": "x"})],
    "worker:w1:lifecycle": [("worker.online", {"region": "eu"}), ("worker.heartbeat", {})],
}

operations = st.lists(
    st.tuples(
        st.sampled_from(["apply", "apply", "apply", "compact", "ack", "resume", "forged"]),
        st.sampled_from(TOPICS),
        st.sampled_from([None] * 10 + list(range(7))),
        st.integers(0, 1),
        st.sampled_from([PUB, PUB, PUB, OTHER]),
    ),
    max_size=40,
)


Operation = tuple[str, str, int | None, int, str]


def run_operation(model: ReferenceModel, op: Operation) -> Status:
    """Run one operation; a seq of None means the stream's next seq (apply) or head."""
    name, topic, chosen, variant, caller = op
    stream_id = Event(topic, 1, "x", {}, 0).stream_id
    head = model.stream_head(stream_id).head_seq
    seq = chosen if chosen is not None else head + (name in ("apply", "forged"))
    if name == "apply":
        kind, payload = KIND_PAYLOADS[topic][variant]
        return model.apply_event(caller, Event(topic, seq, kind, payload, 0).reducer_args()).status
    if name == "forged":
        forged = Event(topic, seq, "run.step", {"tokens": 1}, 0).reducer_args()
        return model.apply_event(caller, forged._replace(payload_hash="sha256:00")).status
    if name == "compact":
        return model.compact_stream(caller, stream_id, seq).status
    if name == "ack":
        return model.ack_checkpoint(caller, stream_id, seq).status
    return model.resume_stream(caller, stream_id, seq, variant * 3).status


@settings(max_examples=200, deadline=None)
@given(operations)
def test_M2_failed_or_noop_calls_change_nothing(ops: list[Operation]) -> None:
    model = ReferenceModel(PUB)
    for op in ops:
        before = snapshot_json(model.snapshot())
        status = run_operation(model, op)
        if status is not Status.OK or op[0] == "resume":
            assert snapshot_json(model.snapshot()) == before, op


@settings(max_examples=200, deadline=None)
@given(operations)
def test_M3_one_row_per_seq_and_no_gap_between_oldest_and_head(
    ops: list[Operation],
) -> None:
    model = ReferenceModel(PUB)
    for op in ops:
        run_operation(model, op)
        snapshot = model.snapshot()
        for head in snapshot["stream_head"]:
            seqs = [
                row["seq"]
                for row in snapshot["sync_event"]
                if row["stream_id"] == head["stream_id"]
            ]
            assert sorted(seqs) == list(range(head["oldest_seq"], head["head_seq"] + 1))
