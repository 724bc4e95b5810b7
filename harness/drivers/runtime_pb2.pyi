from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("topic", "seq", "kind", "payload_json", "published_at_ms", "stream_id", "idempotency_key", "payload_hash")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_HASH_FIELD_NUMBER: _ClassVar[int]
    topic: str
    seq: int
    kind: str
    payload_json: str
    published_at_ms: int
    stream_id: str
    idempotency_key: str
    payload_hash: str
    def __init__(self, topic: _Optional[str] = ..., seq: _Optional[int] = ..., kind: _Optional[str] = ..., payload_json: _Optional[str] = ..., published_at_ms: _Optional[int] = ..., stream_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., payload_hash: _Optional[str] = ...) -> None: ...

class AppendRequest(_message.Message):
    __slots__ = ("topic", "kind", "payload_json", "published_at_ms")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    topic: str
    kind: str
    payload_json: str
    published_at_ms: int
    def __init__(self, topic: _Optional[str] = ..., kind: _Optional[str] = ..., payload_json: _Optional[str] = ..., published_at_ms: _Optional[int] = ...) -> None: ...

class AppendResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class JournalRequest(_message.Message):
    __slots__ = ("topic", "after_seq", "limit")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    topic: str
    after_seq: int
    limit: int
    def __init__(self, topic: _Optional[str] = ..., after_seq: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class JournalResponse(_message.Message):
    __slots__ = ("topic", "stream_id", "head_seq", "events")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    topic: str
    stream_id: str
    head_seq: int
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, topic: _Optional[str] = ..., stream_id: _Optional[str] = ..., head_seq: _Optional[int] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("seq", "reason", "delivery")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    seq: int
    reason: str
    delivery: str
    def __init__(self, seq: _Optional[int] = ..., reason: _Optional[str] = ..., delivery: _Optional[str] = ...) -> None: ...

class StreamStatus(_message.Message):
    __slots__ = ("stream_id", "topic", "journal_head", "delivered_head", "outbox_depth", "paused", "dead_letter", "last_error", "consecutive_failures", "in_flight")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_HEAD_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_HEAD_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    topic: str
    journal_head: int
    delivered_head: int
    outbox_depth: int
    paused: bool
    dead_letter: DeadLetter
    last_error: str
    consecutive_failures: int
    in_flight: bool
    def __init__(self, stream_id: _Optional[str] = ..., topic: _Optional[str] = ..., journal_head: _Optional[int] = ..., delivered_head: _Optional[int] = ..., outbox_depth: _Optional[int] = ..., paused: _Optional[bool] = ..., dead_letter: _Optional[_Union[DeadLetter, _Mapping]] = ..., last_error: _Optional[str] = ..., consecutive_failures: _Optional[int] = ..., in_flight: _Optional[bool] = ...) -> None: ...

class FaultCounters(_message.Message):
    __slots__ = ("duplicate_next", "reorder_next", "crash_after_commit_next", "crash_before_send_next")
    DUPLICATE_NEXT_FIELD_NUMBER: _ClassVar[int]
    REORDER_NEXT_FIELD_NUMBER: _ClassVar[int]
    CRASH_AFTER_COMMIT_NEXT_FIELD_NUMBER: _ClassVar[int]
    CRASH_BEFORE_SEND_NEXT_FIELD_NUMBER: _ClassVar[int]
    duplicate_next: int
    reorder_next: int
    crash_after_commit_next: int
    crash_before_send_next: int
    def __init__(self, duplicate_next: _Optional[int] = ..., reorder_next: _Optional[int] = ..., crash_after_commit_next: _Optional[int] = ..., crash_before_send_next: _Optional[int] = ...) -> None: ...

class PublisherStatus(_message.Message):
    __slots__ = ("streams", "paused_all", "target_set", "stdb_url", "database", "journal_events", "delivered_events", "outbox_depth", "paused_streams", "dead_lettered_streams", "quiescent", "pending_faults", "pending_stream_faults")
    class PendingStreamFaultsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FaultCounters
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FaultCounters, _Mapping]] = ...) -> None: ...
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_ALL_FIELD_NUMBER: _ClassVar[int]
    TARGET_SET_FIELD_NUMBER: _ClassVar[int]
    STDB_URL_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_EVENTS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PAUSED_STREAMS_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERED_STREAMS_FIELD_NUMBER: _ClassVar[int]
    QUIESCENT_FIELD_NUMBER: _ClassVar[int]
    PENDING_FAULTS_FIELD_NUMBER: _ClassVar[int]
    PENDING_STREAM_FAULTS_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedCompositeFieldContainer[StreamStatus]
    paused_all: bool
    target_set: bool
    stdb_url: str
    database: str
    journal_events: int
    delivered_events: int
    outbox_depth: int
    paused_streams: int
    dead_lettered_streams: int
    quiescent: bool
    pending_faults: FaultCounters
    pending_stream_faults: _containers.MessageMap[str, FaultCounters]
    def __init__(self, streams: _Optional[_Iterable[_Union[StreamStatus, _Mapping]]] = ..., paused_all: _Optional[bool] = ..., target_set: _Optional[bool] = ..., stdb_url: _Optional[str] = ..., database: _Optional[str] = ..., journal_events: _Optional[int] = ..., delivered_events: _Optional[int] = ..., outbox_depth: _Optional[int] = ..., paused_streams: _Optional[int] = ..., dead_lettered_streams: _Optional[int] = ..., quiescent: _Optional[bool] = ..., pending_faults: _Optional[_Union[FaultCounters, _Mapping]] = ..., pending_stream_faults: _Optional[_Mapping[str, FaultCounters]] = ...) -> None: ...

class FaultRequest(_message.Message):
    __slots__ = ("stream_id", "pause", "resume", "duplicate_next", "reorder_next", "crash_after_commit_next", "crash_before_send_next")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_NEXT_FIELD_NUMBER: _ClassVar[int]
    REORDER_NEXT_FIELD_NUMBER: _ClassVar[int]
    CRASH_AFTER_COMMIT_NEXT_FIELD_NUMBER: _ClassVar[int]
    CRASH_BEFORE_SEND_NEXT_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    pause: bool
    resume: bool
    duplicate_next: int
    reorder_next: int
    crash_after_commit_next: int
    crash_before_send_next: int
    def __init__(self, stream_id: _Optional[str] = ..., pause: _Optional[bool] = ..., resume: _Optional[bool] = ..., duplicate_next: _Optional[int] = ..., reorder_next: _Optional[int] = ..., crash_after_commit_next: _Optional[int] = ..., crash_before_send_next: _Optional[int] = ...) -> None: ...

class TargetRequest(_message.Message):
    __slots__ = ("stdb_url", "database", "token", "reducer", "args_json", "permanent_errors")
    STDB_URL_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REDUCER_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_ERRORS_FIELD_NUMBER: _ClassVar[int]
    stdb_url: str
    database: str
    token: str
    reducer: str
    args_json: str
    permanent_errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, stdb_url: _Optional[str] = ..., database: _Optional[str] = ..., token: _Optional[str] = ..., reducer: _Optional[str] = ..., args_json: _Optional[str] = ..., permanent_errors: _Optional[_Iterable[str]] = ...) -> None: ...

class WaitResponse(_message.Message):
    __slots__ = ("quiescent", "status")
    QUIESCENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    quiescent: bool
    status: PublisherStatus
    def __init__(self, quiescent: _Optional[bool] = ..., status: _Optional[_Union[PublisherStatus, _Mapping]] = ...) -> None: ...
