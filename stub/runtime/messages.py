"""The runtime's values as API messages and back (runtime.proto), with the checks that only
requests need: the core speaks dataclasses, and only this module knows protobuf field names.
"""

from __future__ import annotations

from collections.abc import Mapping

from stub.proto import runtime_pb2 as pb
from stub.runtime.errors import RefusedError
from stub.runtime.event import Event
from stub.runtime.faults import FAULT_KINDS, FaultCommand, FaultCounters, FaultKind
from stub.runtime.naming import is_stream_id
from stub.runtime.service import JournalPage
from stub.runtime.status import StatusView, StreamView
from stub.runtime.target import Target, make_target

DEFAULT_JOURNAL_LIMIT = 1000
MAX_JOURNAL_LIMIT = 10000
_U64_MAX = 2**64 - 1


def event_message(event: Event) -> pb.Event:
    return pb.Event(
        topic=event.topic,
        seq=event.seq,
        kind=event.kind,
        payload_json=event.payload_json,
        published_at_ms=event.published_at_ms,
        stream_id=event.stream_id,
        idempotency_key=event.idempotency_key,
        payload_hash=event.payload_hash,
    )


def journal_message(page: JournalPage) -> pb.JournalResponse:
    return pb.JournalResponse(
        topic=page.topic,
        stream_id=page.stream_id,
        head_seq=page.head_seq,
        events=[event_message(event) for event in page.events],
    )


def status_message(status: StatusView) -> pb.PublisherStatus:
    streams = [_stream_message(stream) for stream in status.streams]
    return pb.PublisherStatus(
        streams=streams,
        paused_all=status.paused_all,
        target_set=status.target is not None,
        stdb_url="" if status.target is None else status.target.stdb_url,
        database="" if status.target is None else status.target.database,
        journal_events=sum(stream.journal_head for stream in status.streams),
        delivered_events=sum(stream.delivered_head for stream in status.streams),
        outbox_depth=sum(stream.outbox_depth for stream in status.streams),
        paused_streams=sum(stream.paused for stream in status.streams),
        dead_lettered_streams=sum(stream.dead_letter is not None for stream in status.streams),
        quiescent=status.quiescent,
        pending_faults=_counters_message(status.pending_faults),
        pending_stream_faults={
            stream.stream_id: _counters_message(stream.pending_faults)
            for stream in status.streams
            if stream.pending_faults.any_pending()
        },
    )


def journal_query(query: Mapping[str, str]) -> pb.JournalRequest:
    """`GET /v1/journal`'s query parameters as a JournalRequest (limit defaulted, capped)."""
    unknown = sorted(set(query) - {"topic", "after_seq", "limit"})
    if unknown:
        raise RefusedError("invalid_request", f"unknown query parameter(s) {unknown}")
    if "topic" not in query:
        raise RefusedError("invalid_request", "topic is required")
    limit = _query_int(query, "limit", 0, 2**32 - 1) or DEFAULT_JOURNAL_LIMIT
    return pb.JournalRequest(
        topic=query["topic"],
        after_seq=_query_int(query, "after_seq", 0, _U64_MAX),
        limit=min(limit, MAX_JOURNAL_LIMIT),
    )


def wait_timeout(query: Mapping[str, str], default_s: float, max_s: float) -> float:
    """`POST /v1/wait`'s `timeout_s`, in [0, max_s]."""
    text = query.get("timeout_s")
    if text is None:
        return default_s
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not 0 <= timeout <= max_s:
        raise RefusedError("invalid_request", f"timeout_s {text!r} is not a number in [0, {max_s}]")
    return timeout


def fault_command(request: pb.FaultRequest) -> FaultCommand:
    """A FaultRequest as a command; pause with resume, or a bad stream id, is refused."""
    if request.pause and request.resume:
        raise RefusedError("invalid_request", "pause and resume at once")
    stream_id = request.stream_id or None
    if stream_id is not None and not is_stream_id(stream_id):
        raise RefusedError("invalid_stream_id", f"{stream_id!r} is not any topic's stream id")
    counters: dict[FaultKind, int] = {
        kind: getattr(request, f"{kind}_next")
        for kind in FAULT_KINDS
        if request.HasField(f"{kind}_next")
    }
    return FaultCommand(stream_id, request.pause, request.resume, counters)


def target_of(request: pb.TargetRequest) -> Target | None:
    return make_target(
        request.stdb_url,
        request.database,
        request.token,
        reducer=request.reducer,
        args_json=request.args_json,
        permanent_errors=list(request.permanent_errors),
    )


def _stream_message(stream: StreamView) -> pb.StreamStatus:
    message = pb.StreamStatus(
        stream_id=stream.stream_id,
        topic=stream.topic,
        journal_head=stream.journal_head,
        delivered_head=stream.delivered_head,
        outbox_depth=stream.outbox_depth,
        paused=stream.paused,
        last_error=stream.last_error,
        consecutive_failures=stream.consecutive_failures,
        in_flight=stream.in_flight,
    )
    if stream.dead_letter is not None:
        letter = stream.dead_letter
        message.dead_letter.CopyFrom(
            pb.DeadLetter(seq=letter.seq, reason=letter.reason, delivery=letter.delivery)
        )
    return message


def _counters_message(counters: FaultCounters) -> pb.FaultCounters:
    return pb.FaultCounters(
        duplicate_next=counters.duplicate,
        reorder_next=counters.reorder,
        crash_after_commit_next=counters.crash_after_commit,
        crash_before_send_next=counters.crash_before_send,
    )


def _query_int(query: Mapping[str, str], name: str, low: int, high: int) -> int:
    text = query.get(name, "0")
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise RefusedError(
            "invalid_request", f"{name} {text!r} is not an integer in [{low}, {high}]"
        )
    return int(text)
