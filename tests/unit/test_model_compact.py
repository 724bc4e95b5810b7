"""compact_stream in the oracle (M4) and what it does to later applies and resumes."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

from harness.contract.events import Event
from harness.contract.snapshot import snapshot_json
from harness.model.module import ReferenceModel
from harness.model.outcome import Status
from harness.model.project import replay

PUB = "publisher"
STREAM = "runtime.run.r1.events"


def step(seq: int) -> Event:
    return Event("run:r1:events", seq, "run.step", {"tokens": seq}, seq)


def model_with(count: int) -> ReferenceModel:
    return replay([step(seq) for seq in range(1, count + 1)], PUB)


def test_M4_only_the_publisher_compacts() -> None:
    assert model_with(3).compact_stream("someone", STREAM, 2).error == "unauthorized"


def test_M4_invalid_stream_and_through_past_head() -> None:
    model = model_with(3)
    assert model.compact_stream(PUB, "runtime.topic.%zz", 1).error == "invalid_event stream_id"
    assert model.compact_stream(PUB, STREAM, 4).error == "invalid_event through_seq"
    assert ReferenceModel(PUB).compact_stream(PUB, STREAM, 1).error == "invalid_event through_seq"


def test_M4_deletes_the_tail_keeps_projections() -> None:
    model = model_with(4)
    before = model.snapshot()
    assert model.compact_stream(PUB, STREAM, 2).status is Status.OK
    after = model.snapshot()
    assert [row["seq"] for row in after["sync_event"]] == [3, 4]
    assert after["stream_head"] == [{"stream_id": STREAM, "head_seq": 4, "oldest_seq": 3}]
    assert after["run_summary"] == before["run_summary"]


def test_M4_through_below_oldest_is_a_noop() -> None:
    model = model_with(4)
    model.compact_stream(PUB, STREAM, 2)
    before = snapshot_json(model.snapshot())
    for through in (0, 1, 2):
        outcome = model.compact_stream(PUB, STREAM, through)
        assert (outcome.status, outcome.detail) == (Status.NOOP, "already_compacted")
    assert snapshot_json(model.snapshot()) == before
    assert ReferenceModel(PUB).compact_stream(PUB, STREAM, 0).status is Status.NOOP


def test_M4_compacting_through_head_keeps_the_head() -> None:
    model = model_with(2)
    assert model.compact_stream(PUB, STREAM, 2).succeeded
    assert model.snapshot()["sync_event"] == []
    assert model.stream_head(STREAM).head_seq == 2
    assert model.apply_event(PUB, step(3).reducer_args()).status is Status.OK
    assert model.apply_event(PUB, step(2).reducer_args()).detail == "compacted"


def test_M4_other_streams_are_untouched() -> None:
    other = Event("worker:w1:lifecycle", 1, "worker.heartbeat", {}, 0)
    model = replay([step(1), step(2), other], PUB)
    model.compact_stream(PUB, STREAM, 2)
    assert [row["stream_id"] for row in model.snapshot()["sync_event"]] == [other.stream_id]
