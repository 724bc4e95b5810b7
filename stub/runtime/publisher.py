"""The publisher: one delivery worker per stream, carrying the journal into the module.

Each stream has its own thread, so a paused, failing or slow stream never delays another
(B4). A worker sends its stream's events one at a time, in seq order, and takes up seq n+1
only once n is acknowledged (B2). An answer is classified (B3): acknowledged events advance
the `delivered_head`, which one writer records durably in groups, late but never early (B5,
see `committer`); permanent refusals are dead-lettered and hold the stream; transient
failures are retried with bounded backoff while the event stays in the durable outbox.
Appends never wait for any of this (B6): they only wake a worker. A send calls the target's
reducer with its argument templates rendered for the event, on the worker's own kept-alive
connection, and the target's permanent error patterns decide which refusals are permanent
(see `target`).

Locking: one lock guards all in-memory state; each stream's condition and the waiters'
condition share it. No lock is held during an HTTP call, and the journal's lock is never
taken while holding the publisher's. Progress writes belong to the `ProgressCommitter`:
an acknowledgement only notes that there is a head to record (no worker waits for an
fsync), while pauses, dead letters and spent faults are recorded before the call returns.
Each write records a snapshot taken under the state lock at that moment, so a later write
never records older state than an earlier one.

`settings.mutant` selects a deliberately broken publisher (see `mutants`): each mutant's
defect is one branch below (or in `classify`), guarded by its name.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from stub.runtime.classify import Classified, Verdict, classify
from stub.runtime.committer import ProgressCommitter
from stub.runtime.errors import SimulatedCrash, StateError
from stub.runtime.event import Event
from stub.runtime.faults import FaultCommand, FaultKind
from stub.runtime.journal import Journal
from stub.runtime.mutants import (
    DEAD_LETTER_PAUSES_ALL,
    DROPPED_AFTER_RETRIES,
    GIVE_UP_AFTER,
    PROGRESS_BEFORE_SEND,
    REORDERED_STREAM,
)
from stub.runtime.naming import stream_of, topic_of
from stub.runtime.progress import DeadLetter, Progress, StreamProgress, save_progress
from stub.runtime.settings import PublisherSettings
from stub.runtime.spacetime_client import ReducerConnection
from stub.runtime.status import StatusView, StreamView
from stub.runtime.target import Target
from stub.runtime.templates import event_fields, render

log = logging.getLogger(__name__)

# Ends the runtime at an injected crash: os._exit in service mode, SimulatedCrash in-process.
Crash = Callable[[str], NoReturn]


@dataclass(eq=False)
class _Stream:
    """One stream's state: the persisted part lives in `progress`, the rest is volatile."""

    stream_id: str
    topic: str
    progress: StreamProgress
    wake: threading.Condition
    journal_head: int = 0
    in_flight: bool = False
    last_error: str = ""
    failures: int = 0
    thread: threading.Thread | None = field(default=None, repr=False)
    connection: ReducerConnection | None = field(default=None, repr=False)


class Publisher:
    """Delivers one namespace's journal to one target (or holds it, with no target)."""

    def __init__(
        self,
        journal: Journal,
        directory: Path,
        *,
        progress: Progress,
        target: Target | None,
        settings: PublisherSettings,
        crash: Crash,
    ) -> None:
        self._journal = journal
        self._progress = progress
        self._target = target
        self._permanent = () if target is None else target.permanent_patterns()
        self._settings = settings
        self._crash = crash
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._commit = ProgressCommitter(
            self._recorded,
            lambda recorded: save_progress(directory, recorded),
            interval_s=settings.progress_interval_s,
            batch=settings.progress_batch,
        )
        self._streams: dict[str, _Stream] = {}
        self._started = False
        self._stopping = False
        self._halted = False

    # Life cycle.

    def start(self) -> None:
        """Pick up every stream the journal or the progress knows, and start their workers."""
        heads = self._journal.heads()
        with self._lock:
            for topic, head in heads.items():
                self._stream(stream_of(topic)).journal_head = head
            for stream_id in list(self._progress.streams):
                stream = self._stream(stream_id)
                if stream.progress.delivered_head > stream.journal_head:
                    self._halted = True
                    self._commit.close(flush=False)
                    raise StateError(
                        f"{stream_id}: delivered_head {stream.progress.delivered_head}"
                        f" is past the journal's head {stream.journal_head}"
                    )
            self._started = True
            for stream in self._streams.values():
                self._start_worker(stream)

    def stop(self) -> None:
        """Stop every worker once its current send is answered and recorded."""
        with self._lock:
            self._stopping = True
            self._wake_all()
            threads = [s.thread for s in self._streams.values() if s.thread is not None]
        for thread in threads:
            thread.join()
        self._commit.close(flush=True)

    def halt(self) -> None:
        """Stop at once, as a crash would: nothing more is sent or recorded. Does not wait
        for the workers (the caller may be one of them), only for a progress write under
        way to end."""
        with self._lock:
            self._stopping = self._halted = True
            self._wake_all()
        self._commit.close(flush=False)

    # Feeding and control.

    def appended(self, event: Event) -> None:
        """Note a newly journaled event, waking its stream's worker."""
        with self._lock:
            stream = self._stream(event.stream_id)
            stream.journal_head = max(stream.journal_head, event.seq)
            stream.wake.notify_all()

    def control(self, command: FaultCommand) -> None:
        """Apply a pause, resume or fault-counter command and record it."""
        with self._lock:
            if command.stream_id is None:
                scope = self._progress.faults
                streams = list(self._streams.values())
                if command.pause:
                    self._progress.paused_all = True
                if command.resume:
                    self._progress.paused_all = False
            else:
                stream = self._stream(command.stream_id)
                scope = stream.progress.faults
                streams = [stream]
                if command.pause:
                    stream.progress.paused = True
            if command.resume:
                for stream in streams:
                    stream.progress.paused = False
                    stream.progress.dead_letter = None
                    stream.failures, stream.last_error = 0, ""
            for kind, count in command.counters.items():
                setattr(scope, kind, count)
            self._wake_all()
        self._persist()

    def status(self) -> StatusView:
        with self._lock:
            return self._status()

    def wait_until_quiescent(self, timeout_s: float) -> bool:
        """Block until every stream is caught up or held and nothing is in flight; False
        if `timeout_s` passed first, or the publisher stopped. Once quiescent, the heads
        delivered so far are recorded before this returns."""
        with self._lock:
            self._changed.wait_for(
                lambda: self._stopping or self._status().quiescent, timeout=timeout_s
            )
            quiescent = not self._stopping and self._status().quiescent
        if quiescent:
            self._commit.flush()
        return quiescent

    # The worker.

    def _work(self, stream: _Stream) -> None:
        """A stream's worker thread; an in-process crash ends it quietly."""
        try:
            with contextlib.suppress(SimulatedCrash):
                self._deliver_all(stream)
        finally:
            if stream.connection is not None:
                stream.connection.close()

    def _deliver_all(self, stream: _Stream) -> None:
        """A stream's delivery loop, until the publisher stops."""
        journal, topic = self._journal, stream.topic
        while (seq := self._claim(stream)) is not None:
            try:
                # breaks B2: with seq n+1 journaled, it is sent before n is acknowledged
                if self._settings.mutant == REORDERED_STREAM and seq < journal.head(topic):
                    self._deliver(stream, journal.event(topic, seq + 1))
                self._deliver(stream, journal.event(topic, seq))
            finally:
                with self._lock:
                    stream.in_flight = False
                    self._changed.notify_all()

    def _claim(self, stream: _Stream) -> int | None:
        """The next seq to deliver, once there is one and the stream may send; None when
        the publisher stops."""
        with self._lock:
            stream.wake.wait_for(lambda: self._stopping or self._ready(stream))
            if self._stopping:
                return None
            stream.in_flight = True
            return stream.progress.delivered_head + 1

    def _deliver(self, stream: _Stream, event: Event) -> None:
        """Send `event` until it is acknowledged, refused for good, or the stream is held."""
        if self._settings.mutant == PROGRESS_BEFORE_SEND:  # breaks B5: recorded, not yet sent
            with self._lock:
                stream.progress.delivered_head = max(stream.progress.delivered_head, event.seq)
            self._persist()
        if self._take(stream, "crash_before_send"):
            self._crash_now(f"crash_before_send: before sending {event.idempotency_key}")
        failed = 0
        while True:
            with self._lock:
                if not self._may_send(stream):
                    return
            result = self._send(stream, event)
            if result.verdict is Verdict.ACKNOWLEDGED:
                self._acknowledged(stream, event)
                return
            if result.verdict is Verdict.PERMANENT:
                self._dead_letter(stream, event.seq, result.reason, "primary")
                return
            failed += 1
            if self._settings.mutant == DROPPED_AFTER_RETRIES and failed == GIVE_UP_AFTER:
                self._acknowledged(stream, event)  # breaks B1: dropped, yet recorded delivered
                return
            if not self._back_off(stream, result.reason):
                return

    def _acknowledged(self, stream: _Stream, event: Event) -> None:
        """Record that the module holds `event`, then make the fault-injected extra sends."""
        if self._take(stream, "crash_after_commit"):
            self._crash_now(f"crash_after_commit: {event.idempotency_key} not recorded")
        with self._lock:
            stream.progress.delivered_head = max(stream.progress.delivered_head, event.seq)
            stream.failures, stream.last_error = 0, ""
            duplicate = self._take_locked(stream, "duplicate")
            stale = event.seq > 1 and self._take_locked(stream, "reorder")
        if duplicate or stale:
            self._persist()  # a spent fault is recorded at once, as `_take` does
        else:
            self._commit.later()  # the head may be recorded late, never early: see `committer`
        if duplicate:
            self._extra(stream, event, "duplicate")
        if stale:
            self._extra(stream, self._journal.event(stream.topic, event.seq - 1), "stale_resend")

    def _extra(self, stream: _Stream, event: Event, delivery: str) -> None:
        """A fault-injected send of an event the module already acknowledged. A conforming
        module answers success (a duplicate, M1 step 3); a refusal is reported like any
        other (B3), and a transient failure only logged: the event is delivered already."""
        with self._lock:
            if self._stopping:
                return
        result = self._send(stream, event)
        if result.verdict is Verdict.PERMANENT:
            self._dead_letter(stream, event.seq, result.reason, delivery)
        elif result.verdict is Verdict.TRANSIENT:
            log.warning("%s send of %s failed: %s", delivery, event.idempotency_key, result.reason)

    def _send(self, stream: _Stream, event: Event) -> Classified:
        """One call of the reducer for `event`, on the stream's connection (only its
        worker sends, so the connection is never shared)."""
        target = self._target
        assert target is not None, "a worker only claims events when there is a target"
        try:
            args = render(target.args, event_fields(event))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            # Templates are checked when the target is set; one that still fails for this
            # event's values would fail on every try, so the event is refused for good.
            return Classified(Verdict.PERMANENT, f"arguments cannot be rendered: {exc}")
        if stream.connection is None:
            stream.connection = ReducerConnection(target, self._settings.call_timeout_s)
        answer = stream.connection.call(args)
        return classify(answer, permanent=self._permanent, mutant=self._settings.mutant)

    def _dead_letter(self, stream: _Stream, seq: int, reason: str, delivery: str) -> None:
        """Hold the stream with the refused event and its reason (B3); the first refusal
        is kept if a later extra send is refused too."""
        log.warning("%s seq %d dead-lettered (%s): %s", stream.stream_id, seq, delivery, reason)
        with self._lock:
            if stream.progress.dead_letter is None:
                stream.progress.dead_letter = DeadLetter(seq, reason, delivery)
            if self._settings.mutant == DEAD_LETTER_PAUSES_ALL:
                self._progress.paused_all = True  # breaks B4: every stream waits for this one
            stream.failures, stream.last_error = 0, ""
            self._changed.notify_all()
        self._persist()

    def _back_off(self, stream: _Stream, reason: str) -> bool:
        """Wait before the next try of a transient failure; False if the stream was held
        or the publisher stopped meanwhile (the event stays in the outbox)."""
        with self._lock:
            stream.failures += 1
            stream.last_error = reason
            delay = self._settings.retry_delay(stream.failures)
            stream.wake.wait_for(lambda: not self._may_send(stream), timeout=delay)
            return self._may_send(stream)

    def _take(self, stream: _Stream, kind: FaultKind) -> bool:
        """Spend one `kind` fault; a crash fault's spending is recorded before it fires,
        or the restart would crash again at the same place, forever."""
        with self._lock:
            taken = self._take_locked(stream, kind)
        if taken:
            self._persist()
        return taken

    def _take_locked(self, stream: _Stream, kind: FaultKind) -> bool:
        """The stream's own counter first, then the one shared by all streams."""
        return stream.progress.faults.take(kind) or self._progress.faults.take(kind)

    def _crash_now(self, why: str) -> NoReturn:
        """Halt first, so that no other worker sends or records anything after the crash."""
        log.warning("injected crash: %s", why)
        self.halt()
        self._crash(why)

    # State, under the lock.

    def _stream(self, stream_id: str) -> _Stream:
        """The stream's state, created (with a worker, once started) on first mention."""
        stream = self._streams.get(stream_id)
        if stream is None:
            progress = self._progress.streams.setdefault(stream_id, StreamProgress())
            wake = threading.Condition(self._lock)
            stream = _Stream(stream_id, topic_of(stream_id), progress, wake)
            self._streams[stream_id] = stream
            if self._started:
                self._start_worker(stream)
        return stream

    def _start_worker(self, stream: _Stream) -> None:
        stream.thread = threading.Thread(
            target=self._work, args=(stream,), name=f"publish {stream.stream_id}", daemon=True
        )
        stream.thread.start()

    def _held(self, stream: _Stream) -> bool:
        return (
            self._progress.paused_all
            or stream.progress.paused
            or stream.progress.dead_letter is not None
        )

    def _may_send(self, stream: _Stream) -> bool:
        return not self._stopping and not self._held(stream)

    def _ready(self, stream: _Stream) -> bool:
        return (
            self._target is not None
            and self._may_send(stream)
            and stream.progress.delivered_head < stream.journal_head
        )

    def _wake_all(self) -> None:
        for stream in self._streams.values():
            stream.wake.notify_all()
        self._changed.notify_all()

    def _persist(self) -> None:
        """Record the current progress before returning."""
        self._commit.now()

    def _recorded(self) -> dict[str, Any] | None:
        """The progress to record now; None after a halt (a crashed process writes
        nothing more)."""
        with self._lock:
            return None if self._halted else self._progress.to_json()

    def _status(self) -> StatusView:
        streams = tuple(
            StreamView(
                stream_id=stream.stream_id,
                topic=stream.topic,
                journal_head=stream.journal_head,
                delivered_head=stream.progress.delivered_head,
                paused=self._held(stream),
                dead_letter=stream.progress.dead_letter,
                last_error=stream.last_error,
                consecutive_failures=stream.failures,
                in_flight=stream.in_flight,
                pending_faults=stream.progress.faults.copy(),
            )
            for stream in sorted(self._streams.values(), key=lambda s: s.stream_id)
        )
        return StatusView(
            streams=streams,
            paused_all=self._progress.paused_all,
            target=self._target,
            pending_faults=self._progress.faults.copy(),
        )
