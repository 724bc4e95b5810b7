"""Small hand-written journals for tests that need a known, readable event stream."""

from __future__ import annotations

from typing import Any

from harness.contract.events import Event

BASE_MS = 1_700_000_000_000


def journal_of(topic: str, *kinds_and_payloads: tuple[str, dict[str, Any]]) -> list[Event]:
    """Events 1..n of one topic, a second apart, in the order given."""
    return [
        Event(topic, seq, kind, payload, BASE_MS + 1000 * seq)
        for seq, (kind, payload) in enumerate(kinds_and_payloads, start=1)
    ]


def mixed_journal() -> list[Event]:
    """Three topics (a run, a worker, a note stream) interleaved, 14 events in all."""
    run = journal_of(
        "run:r1:events",
        ("run.created", {"owner": "alice"}),
        ("run.step", {"tokens": 5}),
        ("run.step", {"tokens": 7}),
        ("run.created", {"owner": "mallory"}),
        ("run.completed", {"outcome": "success"}),
        ("run.step", {"tokens": 1}),
    )
    worker = journal_of(
        "worker:w1:lifecycle",
        ("worker.heartbeat", {}),
        ("worker.online", {"region": "eu"}),
        ("worker.heartbeat", {}),
        ("worker.offline", {"reason": "drain"}),
        ("worker.online", {"region": "us"}),
    )
    notes = journal_of(
        "fleet:user:u1:workers",
        ("note", {"text": "größer ✓"}),
        ("note", {"text": "b"}),
        ("note", {"text": "c"}),
    )
    interleaved: list[Event] = []
    for index in range(max(len(run), len(worker), len(notes))):
        for stream in (run, worker, notes):
            if index < len(stream):
                interleaved.append(stream[index])
    return interleaved
