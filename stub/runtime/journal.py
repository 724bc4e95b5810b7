"""The durable journal: every topic's events, append-only, in one fsync'd file (E2, E3).

Seqs are assigned here, under the one lock, as head+1 (E2). A record reaches the disk
before the append returns, and is never rewritten (E3): a restart reloads exactly the
events that were acknowledged. A crash can leave the last record half written; it was
never acknowledged, so it is cut off on load. Anything else that does not read back as the
event it claims to be (bad JSON mid-file, a hash that no longer matches, a gap in a
topic's seqs) is damage no crash produces, and refuses the load rather than hide it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stub.runtime.admission import Draft
from stub.runtime.canon import canonical, read_json
from stub.runtime.durable import AppendFile, truncate
from stub.runtime.errors import StateError
from stub.runtime.event import Event
from stub.runtime.mutants import JOURNAL_TAIL_LOST
from stub.runtime.naming import topic_problem

JOURNAL_FILE = "journal.jsonl"


class Journal:
    """The events of every topic, in memory for reading and on disk for keeping."""

    def __init__(self, directory: Path, clock: Callable[[], int], mutant: str = "") -> None:
        """Load the journal in `directory` (creating it if absent); `clock` gives
        milliseconds since the epoch for events that come without a time."""
        self._clock = clock
        self._mutant = mutant
        self._lock = threading.Lock()
        self._topics: dict[str, list[Event]] = {}
        path = directory / JOURNAL_FILE
        if path.exists():
            self._load(path)
        self._file = AppendFile(path)

    def append(self, draft: Draft) -> Event:
        """Journal `draft` as its topic's next event and return it once it is on disk."""
        with self._lock:
            events = self._topics.get(draft.topic, [])
            published_at_ms = draft.published_at_ms
            if published_at_ms is None:
                published_at_ms = self._clock()
            event = Event(draft.topic, len(events) + 1, draft.kind, draft.payload, published_at_ms)
            self._file.append(_record(event))
            self._topics.setdefault(draft.topic, events).append(event)
            return event

    def head(self, topic: str) -> int:
        """The topic's last seq; 0 for a topic with no event."""
        with self._lock:
            return len(self._topics.get(topic, ()))

    def heads(self) -> dict[str, int]:
        """Every topic with events, and its head."""
        with self._lock:
            return {topic: len(events) for topic, events in self._topics.items()}

    def event(self, topic: str, seq: int) -> Event:
        """The journaled event `(topic, seq)`; KeyError if there is none."""
        with self._lock:
            events = self._topics.get(topic, [])
            if not 1 <= seq <= len(events):
                raise KeyError(f"no event {seq} in topic {topic!r}")
            return events[seq - 1]

    def read(self, topic: str, after_seq: int, limit: int) -> list[Event]:
        """Up to `limit` events of `topic` with seq > `after_seq`, in seq order."""
        with self._lock:
            return self._topics.get(topic, [])[after_seq : after_seq + limit]

    def close(self) -> None:
        self._file.close()

    def _load(self, path: Path) -> None:
        data = path.read_bytes()
        complete = data.rfind(b"\n") + 1
        if self._mutant == JOURNAL_TAIL_LOST:  # breaks B5: the last whole record goes too
            complete = data.rfind(b"\n", 0, max(complete - 1, 0)) + 1
        for number, line in enumerate(data[:complete].split(b"\n")[:-1], start=1):
            event = _parse(line, f"{path}:{number}")
            events = self._topics.setdefault(event.topic, [])
            if event.seq != len(events) + 1:
                raise StateError(
                    f"{path}:{number}: {event.idempotency_key} follows seq {len(events)}"
                )
            events.append(event)
        if complete < len(data):
            truncate(path, complete)


def _record(event: Event) -> bytes:
    """One journal line: the event's fields and its hash, as canonical JSON."""
    fields: Mapping[str, object] = {
        "topic": event.topic,
        "seq": event.seq,
        "kind": event.kind,
        "payload_json": event.payload_json,
        "published_at_ms": event.published_at_ms,
        "payload_hash": event.payload_hash,
    }
    return (canonical(fields) + "\n").encode("utf-8")


def _parse(line: bytes, where: str) -> Event:
    """The event a journal line records, checked against its own stored hash."""
    try:
        fields: Any = json.loads(line)
        topic, kind, payload_json = fields["topic"], fields["kind"], fields["payload_json"]
        if not all(isinstance(text, str) for text in (topic, kind, payload_json)):
            raise TypeError("topic, kind and payload_json must be strings")
        problem = topic_problem(topic)
        if problem is not None:
            raise ValueError(f"topic {topic!r}: {problem}")
        event = Event(
            topic, fields["seq"], kind, read_json(payload_json), fields["published_at_ms"]
        )
        intact = event.payload_json == payload_json and event.payload_hash == fields["payload_hash"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{where}: not a journal record: {exc}") from None
    if not intact:
        raise StateError(f"{where}: the record no longer matches its hash")
    return event
