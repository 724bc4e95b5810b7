"""Helpers for the runtime's container tests (test_rules_runtime.py); holds no tests.

The yardstick of every delivery test is the oracle's projection of the runtime's own
journal, read back through its API and rebuilt from the events' primary fields only, so
that a wrong derived field (stream id, key, hash) in the runtime cannot hide itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from harness.contract.events import Event
from harness.contract.snapshot import contract_tables, snapshot_json
from harness.drivers.runtime import PublisherStatus, RuntimeClient, RuntimeEvent, RuntimeUnavailable
from harness.env.docker_client import docker_client
from harness.env.services import ServiceContainer
from harness.model.project import project
from harness.targets.spacetime_module import DeclaredModuleSession
from tests.journals import BASE_MS

T = TypeVar("T")

WAIT_S: Final = 60.0
# SpacetimeDB 1.2 acknowledges a commit before its commitlog is fsync'd (every 500 ms): a
# kill within that window may lose acknowledged commits. Quiet this long first, and none is.
FSYNC_QUIET_S: Final = 1.2


def topics_of(label: str) -> tuple[str, str, str]:
    """A run, a worker and a note topic: the three projection families (P1-P3)."""
    return f"run:{label}:events", f"worker:{label}:lifecycle", f"fleet:user:{label}:workers"


def workload(label: str, per_topic: int) -> list[Event]:
    """`per_topic` valid events on each of `topics_of(label)`, interleaved round-robin, so
    any slice of the list keeps each topic's seq order (a later slice continues it)."""
    run, worker, notes = topics_of(label)
    streams: list[list[Event]] = [[], [], []]
    for seq in range(1, per_topic + 1):
        at = BASE_MS + seq
        run_kind, run_payload = (
            ("run.created", {"owner": label}) if seq == 1 else ("run.step", {"tokens": seq})
        )
        worker_kind, worker_payload = (
            ("worker.online", {"region": "eu"}) if seq == 1 else ("worker.heartbeat", {})
        )
        streams[0].append(Event(run, seq, run_kind, run_payload, at))
        streams[1].append(Event(worker, seq, worker_kind, worker_payload, at))
        streams[2].append(Event(notes, seq, "note", {"text": f"{label} {seq} ✓"}, at))
    return [event for triple in zip(*streams, strict=True) for event in triple]


def feed(runtime: RuntimeClient, events: Sequence[Event]) -> list[RuntimeEvent]:
    """Append each event's topic, kind, payload and time; the runtime picks the seqs."""
    return [
        runtime.append(event.topic, event.kind, dict(event.payload), event.published_at_ms)
        for event in events
    ]


def in_topic_order(events: Sequence[Event]) -> list[Event]:
    """`events` sorted by topic, then seq: two journals compare whatever their interleaving."""
    return sorted(events, key=lambda event: (event.topic, event.seq))


def journal(runtime: RuntimeClient, topics: Sequence[str]) -> list[Event]:
    """The runtime's journal of `topics`, each in seq order, as contract events."""
    return [event.contract_event() for topic in topics for event in runtime.read_topic(topic)]


def assert_module_holds_the_journal(
    runtime: RuntimeClient, target: DeclaredModuleSession, topics: Sequence[str], *extra: Event
) -> None:
    """The module's snapshot equals the oracle's projection of the whole journal (plus
    `extra` events applied to the module directly, before it)."""
    expected = project([*extra, *journal(runtime, topics)])
    assert snapshot_json(contract_tables(target.snapshot())) == snapshot_json(expected)


def settle(runtime: RuntimeClient) -> PublisherStatus:
    """Wait until the publisher is quiescent; its status then."""
    result = runtime.wait(WAIT_S)
    assert result.quiescent, f"not quiescent after {WAIT_S}s: {result.status}"
    return result.status


def undelivered(status: PublisherStatus) -> dict[str, int]:
    """Each stream's outbox depth, where it is not empty."""
    return {s.stream_id: s.outbox_depth for s in status.streams if s.outbox_depth}


def dead_letters(status: PublisherStatus) -> dict[str, object]:
    return {s.stream_id: s.dead_letter for s in status.streams if s.dead_letter is not None}


def poll(what: str, check: Callable[[], T | None], timeout_s: float = WAIT_S) -> T:
    """Call `check` until it returns something other than None, and return that."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout_s}s")


def status_when(
    runtime: RuntimeClient, what: str, condition: Callable[[PublisherStatus], bool]
) -> PublisherStatus:
    """The first status that meets `condition`, polled."""

    def check() -> PublisherStatus | None:
        status = runtime.status()
        return status if condition(status) else None

    return poll(what, check)


def exit_status(service: ServiceContainer, timeout_s: float = WAIT_S) -> int:
    """Wait until the service's container has stopped; its exit status."""
    container = docker_client().containers.get(service.container_id)
    return int(container.wait(timeout=timeout_s)["StatusCode"])


@contextmanager
def spacetimedb_down(server: ServiceContainer) -> Iterator[None]:
    """SpacetimeDB killed -9 for the block and started again after it, even when the
    block fails, so that later tests find it up. Waits `FSYNC_QUIET_S` first: a commit
    the server acknowledged but had not yet fsync'd would be lost by SpacetimeDB, not by
    the runtime, which rightly never resends what was acknowledged."""
    time.sleep(FSYNC_QUIET_S)
    server.kill9()
    try:
        yield
    finally:
        server.restart()


class Appender(threading.Thread):
    """Appends to the topics of `topics_of(label)` round-robin from its own connection
    until stopped or the runtime stops answering; keeps every acknowledged event."""

    def __init__(self, url: str, label: str) -> None:
        super().__init__(name=f"appender {label}", daemon=True)
        self._client = RuntimeClient(url, timeout=5.0)
        run, worker, notes = topics_of(label)
        self._appends: tuple[tuple[str, str, dict[str, Any]], ...] = (
            (run, "run.step", {"tokens": 1}),
            (worker, "worker.heartbeat", {}),
            (notes, "note", {"text": "live"}),
        )
        self._stopping = threading.Event()
        self.acknowledged: list[RuntimeEvent] = []
        self.failure: Exception | None = None

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                topic, kind, payload = self._appends[len(self.acknowledged) % 3]
                self.acknowledged.append(self._client.append(topic, kind, payload))
        except RuntimeUnavailable:
            pass  # the runtime was killed: that append's outcome is unknown
        except Exception as exc:  # surfaced by `stop`, in the test's thread
            self.failure = exc
        finally:
            self._client.close()

    def stop(self) -> list[RuntimeEvent]:
        """Stop and return the acknowledged events; re-raise an unexpected failure."""
        self._stopping.set()
        self.join(WAIT_S)
        if self.failure is not None:
            raise self.failure
        return self.acknowledged
