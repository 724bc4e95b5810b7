"""What the oracle says a scenario must produce: the outcome of every step, the snapshots.

Pure: it replays the scenario's steps through harness.model, the same way the runner
drives the real system, so a checker can compare step by step. The publisher and each
named client are identities of the model; only their being distinct matters.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contract.events import ApplyEventArgs, Event
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.model.module import ReferenceModel
from harness.model.outcome import Outcome
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    BadHash,
    Compact,
    Conflict,
    Deliver,
    Intrude,
    Preempt,
    Rebuild,
    Resume,
)

PUBLISHER = "publisher"


def forged(event: Event, payload: Mapping[str, Any]) -> Event:
    """The same identity (topic, seq) with other content: what a `Conflict` step sends."""
    return Event(event.topic, event.seq, event.kind, payload, event.published_at_ms)


def preempting(scenario: Scenario, step: Preempt) -> Event:
    """The event a `Preempt` step applies: the journal's (topic, seq) with one more field,
    so it is valid for its kind but a conflict with the real one (E6)."""
    real = scenario.event(step.topic, step.seq)
    return forged(real, {**real.payload, "forged": step.forged})


def redelivered(scenario: Scenario) -> bool:
    """Whether the scenario delivers some event more than once (or a conflict for it)."""
    seen: set[tuple[str, int]] = set()
    for step in scenario.steps:
        match step:
            case Conflict():
                return True
            case Deliver(topic, seq) if (topic, seq) in seen:
                return True
            case Deliver(topic, seq):
                seen.add((topic, seq))
    return False


WRONG_HASH = "sha256:" + "0" * 64


def wrong_hash(event: Event) -> ApplyEventArgs:
    """The event's apply arguments with a hash that matches no content: E5 must refuse it."""
    return event.reducer_args()._replace(payload_hash=WRONG_HASH)


def interleaving(journal: list[Event], seed: int) -> list[Event]:
    """A random merge of the topics that keeps each topic's seq order (G2)."""
    queues: dict[str, list[Event]] = {}
    for event in journal:
        queues.setdefault(event.topic, []).append(event)
    chooser = random.Random(seed)
    merged: list[Event] = []
    while queues:
        topic = chooser.choice(sorted(queues))
        merged.append(queues[topic].pop(0))
        if not queues[topic]:
            del queues[topic]
    return merged


@dataclass
class Expectation:
    """Per step number: the oracle's outcome; plus the snapshots it predicts."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    final: Snapshot = field(default_factory=dict)
    rebuilds: dict[int, Snapshot] = field(default_factory=dict)


def rebuild_model(scenario: Scenario, seed: int) -> ReferenceModel:
    """A fresh model fed the whole journal in interleaving `seed`, then the same compactions."""
    model = ReferenceModel(PUBLISHER)
    for event in interleaving(scenario.journal(), seed):
        model.apply_event(PUBLISHER, event.reducer_args())
    for compaction in scenario.of(Compact):
        model.compact_stream(PUBLISHER, stream_of(compaction.topic), compaction.through)
    return model


def expect(scenario: Scenario) -> Expectation:
    """Replay `scenario` through the oracle, step by step."""
    model = ReferenceModel(PUBLISHER)
    expectation = Expectation()
    for number, step in enumerate(scenario.steps):
        match step:
            case Deliver(topic, seq):
                event = scenario.event(topic, seq)
                expectation.outcomes[number] = model.apply_event(PUBLISHER,
                                                                 event.reducer_args())
            case Conflict(topic, seq, payload):
                event = forged(scenario.event(topic, seq), payload)
                expectation.outcomes[number] = model.apply_event(PUBLISHER,
                                                                 event.reducer_args())
            case BadHash(topic, seq):
                expectation.outcomes[number] = model.apply_event(
                    PUBLISHER, wrong_hash(scenario.event(topic, seq)))
            case Intrude(client, topic, seq):
                expectation.outcomes[number] = model.apply_event(
                    client, scenario.event(topic, seq).reducer_args())
            case Ack(client, topic, seq):
                expectation.outcomes[number] = model.ack_checkpoint(
                    client, stream_of(topic), seq)
            case Compact(topic, through):
                expectation.outcomes[number] = model.compact_stream(
                    PUBLISHER, stream_of(topic), through)
            case Resume(client, topic, cursor, budget):
                expectation.outcomes[number] = model.resume_stream(
                    client, stream_of(topic), cursor, budget)
            case Rebuild(seed):
                expectation.rebuilds[number] = rebuild_model(scenario, seed).snapshot()
    expectation.final = model.snapshot()
    return expectation
