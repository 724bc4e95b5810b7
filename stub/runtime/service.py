"""The whole runtime as one object: data directory, journal and publisher, with start, stop,
reset and the operations the API exposes.

It runs the same way in the service process and in-process for unit tests. The only
difference is what an injected crash does: the service process exits at once
(`os._exit(70)`, so nothing is flushed or recorded on the way out, as in a real crash),
while in-process the runtime halts without recording anything more and refuses all calls
until a new `RuntimeService` is started on the same data directory: a restart.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from stub.runtime.admission import admit
from stub.runtime.datadir import DataDir, Namespace
from stub.runtime.errors import CrashedError, RefusedError, SimulatedCrash
from stub.runtime.event import Event
from stub.runtime.faults import FaultCommand
from stub.runtime.journal import Journal
from stub.runtime.naming import stream_of, topic_problem
from stub.runtime.progress import load_progress
from stub.runtime.publisher import Publisher
from stub.runtime.settings import PublisherSettings
from stub.runtime.status import StatusView
from stub.runtime.target import Target

CRASH_EXIT_STATUS = 70
Clock = Callable[[], int]


def wall_clock_ms() -> int:
    """Milliseconds since the Unix epoch: the default `published_at_ms` (E1)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class JournalPage:
    """Some of a topic's events, and its head, so a reader knows whether to ask for more."""

    topic: str
    stream_id: str
    head_seq: int
    events: list[Event]


class RuntimeService:
    """The runtime on one data directory. `target`, when given, is where to publish: if
    the directory already publishes there, `start` resumes (a restart), otherwise it
    resets to a fresh namespace publishing there, as `set_target` does."""

    def __init__(
        self,
        data_dir: Path,
        target: Target | None = None,
        *,
        settings: PublisherSettings | None = None,
        clock: Clock = wall_clock_ms,
        exit_on_crash: bool = False,
    ) -> None:
        self._data_dir = DataDir(data_dir)
        self._initial_target = target
        self._settings = settings or PublisherSettings()
        self._clock = clock
        self._exit_on_crash = exit_on_crash
        self._lock = threading.Lock()
        self._crashed = threading.Event()
        self._journal: Journal | None = None
        self._publisher: Publisher | None = None

    def start(self) -> None:
        with self._lock:
            namespace = self._data_dir.open()
            if self._initial_target is not None and namespace.target != self._initial_target:
                namespace = self._data_dir.reset(self._initial_target)
            self._open(namespace)

    def stop(self) -> None:
        """Stop delivering (after answers under way) and close the journal; after a
        simulated crash, only release what the crash left."""
        with self._lock:
            if self._publisher is not None:
                self._publisher.stop()
            if self._journal is not None:
                self._journal.close()
            self._journal = self._publisher = None

    @property
    def crashed(self) -> bool:
        """Whether an injected crash ended this runtime (in-process mode)."""
        return self._crashed.is_set()

    def append(
        self, topic: str, kind: str, payload_json: str, published_at_ms: int | None = None
    ) -> Event:
        """Journal an event and return it with its seq (E2); `RefusedError` for bad input.
        Never waits for the publisher (B6)."""
        draft = admit(topic, kind, payload_json, published_at_ms)
        with self._lock:
            journal, publisher = self._parts()
            event = journal.append(draft)
            publisher.appended(event)
            return event

    def read_journal(self, topic: str, after_seq: int, limit: int) -> JournalPage:
        """Up to `limit` events of `topic` after `after_seq`, exactly as journaled (E3)."""
        problem = topic_problem(topic)
        if problem is not None:
            raise RefusedError("invalid_topic", f"topic {topic!r}: {problem}")
        with self._lock:
            journal, _ = self._parts()
            events = journal.read(topic, after_seq, limit)
            return JournalPage(topic, stream_of(topic), journal.head(topic), events)

    def status(self) -> StatusView:
        with self._lock:
            return self._parts()[1].status()

    def control(self, command: FaultCommand) -> StatusView:
        """Pause, resume or arm faults (see `faults`)."""
        with self._lock:
            publisher = self._parts()[1]
            publisher.control(command)
            return publisher.status()

    def set_target(self, target: Target | None) -> StatusView:
        """Publish to `target` from now on, starting over with an empty journal and fresh
        publisher state: a new namespace."""
        with self._lock:
            journal, publisher = self._parts()
            publisher.stop()
            journal.close()
            self._journal = self._publisher = None
            self._open(self._data_dir.reset(target))
            return self._parts()[1].status()

    def wait_until_delivered(self, timeout_s: float) -> bool:
        """Block until the publisher is quiescent (see `status`); False on timeout."""
        with self._lock:
            publisher = self._parts()[1]
        return publisher.wait_until_quiescent(timeout_s)

    def _open(self, namespace: Namespace) -> None:
        journal = Journal(namespace.directory, self._clock, self._settings.mutant)
        try:
            publisher = Publisher(
                journal,
                namespace.directory,
                progress=load_progress(namespace.directory),
                target=namespace.target,
                settings=self._settings,
                crash=self._crash,
            )
            publisher.start()
        except BaseException:
            journal.close()
            raise
        self._journal, self._publisher = journal, publisher

    def _parts(self) -> tuple[Journal, Publisher]:
        if self._crashed.is_set():
            raise CrashedError("the runtime crashed (injected fault); restart it")
        if self._journal is None or self._publisher is None:
            raise RuntimeError("the runtime is not started")
        return self._journal, self._publisher

    def _crash(self, why: str) -> NoReturn:
        """An injected crash, once the publisher has halted. Runs on a delivery worker, so
        it must not take `_lock`: its holder may be waiting for this very worker."""
        if self._exit_on_crash:
            os._exit(CRASH_EXIT_STATUS)
        self._crashed.set()
        raise SimulatedCrash(why)
