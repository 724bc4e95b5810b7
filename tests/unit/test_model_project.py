"""The oracle's prediction for a journal: rebuild (G2), determinism (M5), duplicates (B1)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.events import Event
from harness.contract.snapshot import snapshot_json
from harness.contract.streams import stream_of
from harness.model.module import ReferenceModel
from harness.model.project import JournalRejectedError, project, replay

PUB = "publisher"
KINDS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "run": [
        ("run.created", {"owner": "o"}),
        ("run.step", {"tokens": 3}),
        ("run.completed", {"outcome": "success"}),
        ("run.cancelled", {"reason": "r"}),
    ],
    "worker": [
        ("worker.online", {"region": "eu"}),
        ("worker.heartbeat", {}),
        ("worker.offline", {"reason": "r"}),
    ],
    "other": [("note", {"text": "t"})],
}
TOPICS = {
    "run:r1:events": "run",
    "run:r2:events": "run",
    "worker:w1:lifecycle": "worker",
    "a.b:c": "other",
}


@st.composite
def journals(draw: st.DrawFn) -> dict[str, list[Event]]:
    """Per topic, a seq-ordered list of events (E2)."""
    result: dict[str, list[Event]] = {}
    for topic, family in TOPICS.items():
        picks = draw(st.lists(st.sampled_from(KINDS[family]), max_size=6))
        result[topic] = [
            Event(topic, seq, kind, payload, 1_700_000_000_000 + seq)
            for seq, (kind, payload) in enumerate(picks, start=1)
        ]
    return result


Step = tuple[str, Event | int]


def interleave(per_topic: dict[str, list[Step]], rng: random.Random) -> list[Step]:
    """A random merge that keeps every topic's own order."""
    queues = {topic: list(steps) for topic, steps in per_topic.items() if steps}
    merged: list[Step] = []
    while queues:
        topic = rng.choice(sorted(queues))
        merged.append(queues[topic].pop(0))
        if not queues[topic]:
            del queues[topic]
    return merged


def run_steps(steps: list[Step]) -> ReferenceModel:
    model = ReferenceModel(PUB)
    for topic, step in steps:
        if isinstance(step, Event):
            assert model.apply_event(PUB, step.reducer_args()).succeeded
        else:
            assert model.compact_stream(PUB, stream_of(topic), step).succeeded
    return model


@settings(max_examples=200, deadline=None)
@given(journals(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_G2_any_interleaving_gives_the_same_projection(
    journal: dict[str, list[Event]], first: random.Random, second: random.Random
) -> None:
    def steps() -> dict[str, list[Step]]:
        return {topic: [(topic, event) for event in events] for topic, events in journal.items()}

    one = run_steps(interleave(steps(), first)).snapshot()
    two = run_steps(interleave(steps(), second)).snapshot()
    assert snapshot_json(one) == snapshot_json(two)
    flat = [event for events in journal.values() for event in events]
    assert snapshot_json(project(flat)) == snapshot_json(one)


@settings(max_examples=200, deadline=None)
@given(journals(), st.data(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_G2_replayed_compactions_give_the_same_tail_and_oldest_seq(
    journal: dict[str, list[Event]],
    data: st.DataObject,
    first: random.Random,
    second: random.Random,
) -> None:
    per_topic: dict[str, list[Step]] = {}
    for topic, events in journal.items():
        steps: list[Step] = []
        for event in events:
            steps.append((topic, event))
            if data.draw(st.booleans()):
                steps.append((topic, data.draw(st.integers(1, event.seq))))
        per_topic[topic] = steps
    one = run_steps(interleave(per_topic, first)).snapshot()
    two = run_steps(interleave(per_topic, second)).snapshot()
    assert snapshot_json(one) == snapshot_json(two)


@settings(max_examples=200, deadline=None)
@given(journals(), st.randoms(use_true_random=False))
def test_B1_redelivered_events_do_not_change_the_projection(
    journal: dict[str, list[Event]], rng: random.Random
) -> None:
    flat = [event for events in journal.values() for event in events]
    noisy: list[Event] = []
    for event in flat:
        noisy.append(event)
        noisy.extend(rng.sample(noisy, k=min(len(noisy), rng.randint(0, 2))))
    assert snapshot_json(project(noisy)) == snapshot_json(project(flat))


def test_M5_caller_identity_and_rebuilds_do_not_leak_into_projections() -> None:
    events = [
        Event("run:r1:events", 1, "run.created", {"owner": "o"}, 5),
        Event("run:r1:events", 2, "run.step", {"tokens": 1}, 6),
    ]
    assert snapshot_json(replay(events, "aa").snapshot()) == snapshot_json(
        replay(events, "bb").snapshot()
    )


@pytest.mark.parametrize(
    ("journal", "error"),
    [
        ([Event("run:r1:events", 2, "run.step", {"tokens": 1}, 0)], "sequence_conflict"),
        ([Event("run:r1:events", 1, "note", {"text": "x"}, 0)], "invalid_event kind"),
        (
            [
                Event("run:r1:events", 1, "run.step", {"tokens": 1}, 0),
                Event("run:r1:events", 1, "run.step", {"tokens": 2}, 0),
            ],
            "idempotency_conflict",
        ),
    ],
)
def test_G2_a_journal_the_module_refuses_is_reported(journal: list[Event], error: str) -> None:
    with pytest.raises(JournalRejectedError, match=f"G2.*{error}"):
        project(journal)
