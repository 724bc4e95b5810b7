"""`ResumingClient`: one client identity resuming streams from cursors (R1-R4).

Per stream the client keeps a view (see `view`) and one WebSocket subscription to the
events after its cursor. Resuming is always the same two steps, in this order (R1): ask
the module with `resume_stream` whether the cursor may resume, then subscribe to the
events after it. A stale cursor (R3) is never replayed from: the view is discarded, a
snapshot is loaded and the client resumes from the snapshot's head instead (R4).

The reducer call and the snapshot go over HTTP, the subscription over a WebSocket of its
own per stream, so that resuming one stream replaces exactly that stream's subscription.

`mutant` selects a deliberately broken variant (see `mutants`); each one changes a single
decision below, and with None every decision is the reference's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from stub.client.mutants import (
    CLIENT_MUTANTS,
    GAP_EDGE_OFF_BY_ONE,
    GAP_PAYLOAD_REENCODED,
    RESUME_AHEAD_OF_HEAD,
    SEQS_ORDERED_AS_TEXT,
    SKIP_AHEAD_ON_STALE,
    SNAPSHOT_HOLDS_FOLDED_EVENTS,
    in_text_order,
    reencoded,
    skipped_ahead,
    trusts_ahead,
    with_folded_events,
)
from stub.client.queries import gap_query
from stub.client.snapshot import load_snapshot
from stub.client.spacetime import (
    Columns,
    DatabaseHttp,
    NothingArrivedError,
    ReducerFailedError,
    Row,
    SpacetimeError,
    Subscriber,
)
from stub.client.steps import ClientStep, Delivered, Resumed, SnapshotLoaded
from stub.client.view import StreamView

RESUME_REDUCER = "resume_stream"


class ResumeFailedError(RuntimeError):
    """The client could not get a gap-free subscription within its resume attempts, or
    was asked to pump a stream it has not resumed."""


@dataclass
class _Stream:
    """Everything the client holds for one stream."""

    stream_id: str
    replay_budget: int
    view: StreamView
    steps: list[ClientStep] = field(default_factory=list)
    subscriber: Subscriber | None = None

    def unsubscribe(self) -> None:
        if self.subscriber is not None:
            self.subscriber.close()
            self.subscriber = None


class ResumingClient:
    """Resumes streams for one client identity (the one `token` proves)."""

    def __init__(
        self,
        base_url: str,
        database: str,
        token: str,
        timeout: float = 10.0,
        max_resumes: int = 5,
        *,
        mutant: str | None = None,
    ) -> None:
        if mutant is not None and mutant not in CLIENT_MUTANTS:
            raise ValueError(f"unknown client mutant {mutant!r}; known: "
                             f"{', '.join(sorted(CLIENT_MUTANTS))}")
        self._base_url = base_url
        self._database = database
        self._token = token
        self._timeout = timeout
        self._max_resumes = max_resumes
        self._mutant = mutant
        self._http = DatabaseHttp(base_url, token, timeout)
        self._columns: Columns | None = None
        self._streams: dict[str, _Stream] = {}

    def resume(self, stream_id: str, cursor: int, replay_budget: int) -> Resumed:
        """Resume `stream_id` from `cursor` with a new view that starts there (the
        application brings the state up to `cursor`).

        Returns the module's answer to the first `resume_stream` call, the one a stale
        cursor fails (R3); the recovery that may follow is in `steps`.
        """
        stream = self._streams.get(stream_id)
        if stream is not None:
            stream.unsubscribe()
        stream = _Stream(stream_id, replay_budget, StreamView(base_seq=cursor))
        self._streams[stream_id] = stream
        return self._resume(stream)

    def reconnect(self, stream_id: str) -> Resumed:
        """Resume `stream_id` from the client's own cursor over a new connection, keeping
        its view, its budget and its record of steps."""
        return self._resume(self._streams[stream_id])

    def pump(self, stream_id: str, until_seq: int | None = None, timeout: float = 2.0) -> None:
        """Deliver live events until the cursor reaches `until_seq`, or `timeout` passes.

        With `until_seq` None it delivers whatever arrives within `timeout`; a checker
        uses that to see that nothing more arrives.
        """
        stream = self._streams.get(stream_id)
        if stream is None or stream.subscriber is None:
            raise ResumeFailedError(f"{stream_id} is not resumed")
        deadline = time.monotonic() + timeout
        while until_seq is None or stream.view.cursor < until_seq:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stream.subscriber is None:
                return
            try:
                update = stream.subscriber.next_transaction(timeout=remaining)
            except NothingArrivedError:
                return
            except SpacetimeError:  # the server went away (a restart): resume from our cursor
                self._reconnect_after_loss(stream, deadline)
                continue
            if self._admit(stream, update.inserts("sync_event")) is not None:
                self._resume(stream)

    def _reconnect_after_loss(self, stream: _Stream, deadline: float) -> None:
        """Resume from the view's cursor over a new connection, as an application does when
        its socket drops, retrying until `deadline` while the server is still coming back."""
        stream.unsubscribe()
        while True:
            try:
                self._resume(stream)
                return
            except SpacetimeError as exc:
                if time.monotonic() >= deadline:
                    raise ResumeFailedError(f"{stream.stream_id}: connection lost and not "
                                            f"regained: {exc}") from exc
                time.sleep(0.2)

    def cursor(self, stream_id: str) -> int:
        return self._streams[stream_id].view.cursor

    def view(self, stream_id: str) -> StreamView:
        return self._streams[stream_id].view

    def steps(self, stream_id: str) -> tuple[ClientStep, ...]:
        """Every resume, snapshot and delivery of the stream so far, in order."""
        return tuple(self._streams[stream_id].steps)

    def delivered(self, stream_id: str) -> list[int]:
        """The seqs handed to the application, in the order they were handed over."""
        return [step.seq for step in self._streams[stream_id].steps
                if isinstance(step, Delivered)]

    def close(self) -> None:
        for stream in self._streams.values():
            stream.unsubscribe()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _resume(self, stream: _Stream) -> Resumed:
        """R1: `resume_stream`, then the subscription; R4 on a stale cursor.

        Repeats while the subscription shows a gap (events compacted after the module
        said yes) or the cursor is stale again (the stream outran the budget while the
        snapshot was loading), up to `max_resumes` calls.
        """
        first: Resumed | None = None
        why = ""
        for _ in range(self._max_resumes):
            answer = self._call_resume(stream)
            if first is None:
                first = answer
            if answer.ok or (self._mutant == RESUME_AHEAD_OF_HEAD and trusts_ahead(answer)):
                cursor = stream.view.cursor
                beyond_gap = self._subscribe(stream)
                if beyond_gap is None:
                    return first
                why = f"after cursor {cursor} the subscription began at seq {beyond_gap}"
            elif answer.stale:
                self._recover(stream, answer)
                why = answer.error or ""
            else:
                return first
        raise ResumeFailedError(f"{stream.stream_id}: no gap-free subscription after "
                                f"{self._max_resumes} resumes; last: {why}")

    def _call_resume(self, stream: _Stream) -> Resumed:
        """Ask the module whether the view's cursor may resume (R1, R3)."""
        cursor = stream.view.cursor
        try:
            self._http.call(self._database, RESUME_REDUCER,
                            [stream.stream_id, cursor, stream.replay_budget])
        except ReducerFailedError as exc:
            answer = Resumed(cursor, stream.replay_budget, exc.message)
        else:
            answer = Resumed(cursor, stream.replay_budget, None)
        stream.steps.append(answer)
        return answer

    def _subscribe(self, stream: _Stream) -> int | None:
        """Replace the stream's subscription by one for the events after the cursor (R1)
        and deliver its initial rows; the seq beyond a gap in them, if there is one."""
        stream.unsubscribe()
        if self._columns is None:
            self._columns = self._http.columns(self._database)
        subscriber = Subscriber.connect(
            self._base_url, self._database, self._token, self._timeout, self._columns
        )
        stream.subscriber = subscriber
        after = stream.view.cursor + (1 if self._mutant == GAP_EDGE_OFF_BY_ONE else 0)
        initial = subscriber.subscribe([gap_query(stream.stream_id, after)],
                                       timeout=self._timeout)
        rows = initial.get("sync_event", [])
        return self._admit(stream, reencoded(rows) if self._mutant == GAP_PAYLOAD_REENCODED
                           else rows)

    def _recover(self, stream: _Stream, answer: Resumed) -> None:
        """R4: discard the view and the subscription, and start again from a snapshot
        (the `skip-ahead-on-stale` mutant skips to the head `answer` names instead, and
        `snapshot-holds-folded-events` keeps the stored events with the snapshot)."""
        stream.unsubscribe()
        if self._mutant == SKIP_AHEAD_ON_STALE:
            stream.view = skipped_ahead(stream.view, answer)
            return
        snapshot = load_snapshot(self._http, self._database, stream.stream_id)
        stream.view = StreamView(base_seq=snapshot.head_seq, projection=snapshot.projection)
        if self._mutant == SNAPSHOT_HOLDS_FOLDED_EVENTS:
            stored = self._http.sql(self._database, gap_query(stream.stream_id, 0))
            stream.view = with_folded_events(stream.view, stored)
        stream.steps.append(SnapshotLoaded(snapshot.head_seq))

    def _admit(self, stream: _Stream, rows: list[Row]) -> int | None:
        """Deliver rows through the view (R2) and record them; the seq beyond a gap."""
        admission = (stream.view.admit_in_order(in_text_order(rows))
                     if self._mutant == SEQS_ORDERED_AS_TEXT else stream.view.admit(rows))
        stream.steps.extend(Delivered(seq) for seq in admission.delivered)
        return admission.beyond_gap
