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
from harness.contract.schema import row_stream
from harness.contract.snapshot import Snapshot
from harness.contract.streams import stream_of
from harness.history import EntryType, History
from harness.model.module import ReferenceModel
from harness.model.outcome import Outcome
from harness.scenario.model import Scenario
from harness.scenario.steps import (
    Ack,
    AckAs,
    BadHash,
    Compact,
    CompactAs,
    Conflict,
    Deliver,
    Intrude,
    Preempt,
    Rebuild,
    Resume,
    Step,
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


def redelivered_streams(scenario: Scenario) -> set[str]:
    """The streams some event of which the scenario delivers more than once, or meets a
    conflict or a wrong hash for: where a redelivery can have changed anything."""
    seen: set[tuple[str, int]] = set()
    found: set[str] = set()
    for step in scenario.steps:
        match step:
            case Conflict(topic) | BadHash(topic) | Intrude(_, topic):
                found.add(stream_of(topic))
            case Deliver(topic, seq) if (topic, seq) in seen:
                found.add(stream_of(topic))
            case Deliver(topic, seq):
                seen.add((topic, seq))
    return found


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
    """Per step number: the oracle's outcome; plus the snapshots it predicts.

    `departed` names, per stream, the first step whose answer the target gave otherwise
    than the oracle: from there on the oracle follows the target (see `expect`).
    `unknown` lists the streams whose state the oracle could not follow: their later steps
    have no expected outcome and their rows are left out of the comparisons."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    final: Snapshot = field(default_factory=dict)
    rebuilds: dict[int, Snapshot] = field(default_factory=dict)
    departed: dict[str, int] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    def comparable(self, observed: Snapshot) -> tuple[Snapshot, Snapshot]:
        """The oracle's final snapshot and `observed`, both without the rows of the
        streams the oracle could not follow."""
        return (without_streams(self.final, self.unknown),
                without_streams(observed, self.unknown))


def rebuild_model(scenario: Scenario, seed: int) -> ReferenceModel:
    """A fresh model fed the whole journal in interleaving `seed`, then the same compactions."""
    model = ReferenceModel(PUBLISHER)
    for event in interleaving(scenario.journal(), seed):
        model.apply_event(PUBLISHER, event.reducer_args())
    for compaction in scenario.of(Compact):
        model.compact_stream(PUBLISHER, stream_of(compaction.topic), compaction.through)
    return model


@dataclass(frozen=True)
class Answer:
    """What the target answered a step: it took effect (True), it was refused (False), or
    nobody can tell (None, an `info` completion)."""

    took_effect: bool | None


def answers(history: History) -> dict[int, Answer]:
    """The target's answer to every step it performed, by step number."""
    found: dict[int, Answer] = {}
    for entry in history.completions():
        value = entry.value if isinstance(entry.value, dict) else {}
        if "step" not in value or "not_applicable" in value:
            continue
        took = {EntryType.OK: True, EntryType.FAIL: False}.get(entry.type)
        found[int(value["step"])] = Answer(took)
    return found


def _call(model: ReferenceModel, scenario: Scenario, step: Step) -> Outcome | None:
    """The oracle's answer to one step (None for a step that calls no reducer)."""
    match step:
        case Deliver(topic, seq):
            return model.apply_event(PUBLISHER, scenario.event(topic, seq).reducer_args())
        case Conflict(topic, seq, payload):
            return model.apply_event(PUBLISHER,
                                     forged(scenario.event(topic, seq), payload).reducer_args())
        case BadHash(topic, seq):
            return model.apply_event(PUBLISHER, wrong_hash(scenario.event(topic, seq)))
        case Intrude(client, topic, seq):
            return model.apply_event(client, scenario.event(topic, seq).reducer_args())
        case Ack(client, topic, seq):
            return model.ack_checkpoint(client, stream_of(topic), seq)
        case AckAs(client, named, topic, seq):
            return model.ack_checkpoint(client, stream_of(topic), seq, named=named)
        case Compact(topic, through):
            return model.compact_stream(PUBLISHER, stream_of(topic), through)
        case CompactAs(client, topic, through):
            return model.compact_stream(client, stream_of(topic), through)
        case Resume(client, topic, cursor, budget):
            return model.resume_stream(client, stream_of(topic), cursor, budget)
    return None


def _adopt(model: ReferenceModel, scenario: Scenario, step: Step) -> bool:
    """Make the oracle take a call it refused but the target accepted; False where the
    target's effect cannot be known."""
    match step:
        case Deliver(topic, seq) | Intrude(_, topic, seq):
            return model.adopt_apply(scenario.event(topic, seq).reducer_args())
        case Conflict(topic, seq, payload):
            return model.adopt_apply(forged(scenario.event(topic, seq), payload).reducer_args())
        case BadHash(topic, seq):
            return model.adopt_apply(wrong_hash(scenario.event(topic, seq)))
        case Ack(client, topic, seq):
            model.adopt_ack(client, stream_of(topic), seq)
            return True
        case CompactAs(_, topic, through):  # taken from a stranger as from the publisher
            return model.compact_stream(PUBLISHER, stream_of(topic), through).error is None
        case Resume():
            return True
    return False  # a compaction the oracle refused: what did the target drop?


def expect(scenario: Scenario, history: History | None = None) -> Expectation:
    """Replay `scenario` through the oracle, step by step.

    Given the target's `history`, the oracle follows the target wherever its answer
    departs, so one defect is one finding: the departing step is judged against the
    oracle's own answer, then the oracle takes the target's (a call the target refused
    changes nothing, M2; a call it accepted takes effect as the target's own path would
    have), and every later step, row and rebuild is judged from the state the target really
    has. Without a history (what a scenario is built to reach) it is the oracle alone."""
    model = ReferenceModel(PUBLISHER)
    expectation = Expectation()
    given = answers(history) if history is not None else {}
    for number, step in enumerate(scenario.steps):
        if isinstance(step, Rebuild):
            expectation.rebuilds[number] = rebuild_model(scenario, step.seed).snapshot()
            continue
        topic = getattr(step, "topic", None)
        stream = stream_of(topic) if isinstance(topic, str) else None
        if stream is not None and stream in expectation.unknown:
            continue  # the stream's state is unknown: nothing to expect of it
        answer = given.get(number)
        before = model.copy() if answer is not None and answer.took_effect is False else None
        outcome = _call(model, scenario, step)
        if outcome is None or stream is None:
            continue
        expectation.outcomes[number] = outcome
        if answer is None or answer.took_effect == outcome.succeeded:
            continue
        expectation.departed.setdefault(stream, number)
        if answer.took_effect is None:
            expectation.unknown.add(stream)
        elif answer.took_effect is False and before is not None:
            model = before
        elif not _adopt(model, scenario, step):
            expectation.unknown.add(stream)
    expectation.final = model.snapshot()
    return expectation


def without_streams(snapshot: Snapshot, streams: set[str]) -> Snapshot:
    """`snapshot` without the rows of `streams`."""
    if not streams:
        return snapshot
    return {table: [row for row in rows if row_stream(table, row) not in streams]
            for table, rows in snapshot.items()}
