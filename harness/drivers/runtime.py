"""HTTP client for a runtime's API (stub/proto/runtime.proto): journal, publisher, faults.

It speaks the protobuf JSON mapping rather than binary protobuf, so every exchange can be
read in a log. Answers are parsed by protobuf's own `json_format` into the API's messages,
generated from the same runtime.proto into `harness.drivers.runtime_pb2` (the harness's own
copy: it never imports the `stub` it tests), and then become frozen dataclasses with the
wire's field names; nothing is judged here.

Failures are typed, so a test can tell them apart without parsing text: `RuntimeRefused`
is an error answer and carries the API's stable `code` (a test of E1 expects one; elsewhere
it means the stage is not set); `RuntimeUnavailable` is no answer at all (the container is
down or was killed, which crash tests bring about on purpose); `RuntimeProtocolError` is an
answer that does not follow the API, a harness or implementation bug never a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import requests
from google.protobuf import json_format
from google.protobuf.message import Message

from harness.contract.canonical import parse_json
from harness.contract.events import Event
from harness.drivers import runtime_pb2 as pb
from harness.errors import HarnessError

M = TypeVar("M", bound=Message)

_JSON: Final = "application/json"
# The API's own cap on one journal page (JournalRequest.limit).
MAX_JOURNAL_PAGE: Final = 10000

# How the runtime calls the reference module unless told otherwise (TargetRequest).
REFERENCE_REDUCER: Final = "apply_event"
REFERENCE_ARGS: Final[tuple[object, ...]] = (
    "{stream_id}", "{seq}", "{idempotency_key}", "{kind}", "{payload_json}", "{payload_hash}",
    "{published_at_ms}",
)  # fmt: skip
REFERENCE_PERMANENT_ERRORS: Final[tuple[str, ...]] = tuple(
    rf"^({word})(?!\S)"
    for word in ("sequence_conflict", "idempotency_conflict", "invalid_event", "unauthorized")
)
# A pattern that matches nothing: how "no 530 is permanent" travels, since an empty list
# of patterns is indistinguishable from an absent one (the reference's) on the wire.
_MATCHES_NOTHING: Final = "(?!)"


class RuntimeRefused(HarnessError):
    """The runtime answered with an error: `{"error": {"code", "message"}}` and a status."""

    def __init__(self, operation: str, status: int, code: str, detail: str) -> None:
        super().__init__(
            f"{operation}: refused with HTTP {status} {code}: {detail}",
            "the runtime's error code says why; see stub/runtime/errors.py for the codes",
        )
        self.status = status
        self.code = code
        self.detail = detail


class RuntimeUnavailable(HarnessError):
    """The runtime gave no HTTP answer (refused, reset or timed out); for an append, the
    event may or may not have been journaled."""


class RuntimeProtocolError(HarnessError):
    """The runtime answered something that is not what its API defines."""


@dataclass(frozen=True)
class RuntimeEvent:
    """One journaled event as the runtime reports it, derived fields included, so a test
    can compare them with what the contract computes (E4-E6, S1)."""

    topic: str
    seq: int
    kind: str
    payload_json: str
    published_at_ms: int
    stream_id: str
    idempotency_key: str
    payload_hash: str

    def contract_event(self) -> Event:
        """The event rebuilt from its primary fields only; its derived fields are then the
        contract's (computed by the harness), never the runtime's claims."""
        return Event(
            self.topic, self.seq, self.kind, parse_json(self.payload_json), self.published_at_ms
        )


@dataclass(frozen=True)
class JournalPage:
    """Some events of a topic and its head. `body` is the answer exactly as received, so
    immutability (E3) can be judged on bytes and not only on decoded values."""

    topic: str
    stream_id: str
    head_seq: int
    events: tuple[RuntimeEvent, ...]
    body: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class DeadLetter:
    """Why a stream is held (B3): the refused seq, the module's text, which send it was."""

    seq: int
    reason: str
    delivery: str


@dataclass(frozen=True)
class FaultCounters:
    """Injected faults still to be consumed (runtime.proto FaultRequest)."""

    duplicate_next: int
    reorder_next: int
    crash_after_commit_next: int
    crash_before_send_next: int


@dataclass(frozen=True)
class StreamStatus:
    stream_id: str
    topic: str
    journal_head: int
    delivered_head: int
    outbox_depth: int
    paused: bool
    dead_letter: DeadLetter | None
    last_error: str
    consecutive_failures: int
    in_flight: bool


@dataclass(frozen=True)
class PublisherStatus:
    streams: tuple[StreamStatus, ...]
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
    pending_stream_faults: Mapping[str, FaultCounters]

    def stream(self, stream_id: str) -> StreamStatus:
        """The status of one stream; KeyError if the runtime does not report it."""
        for stream in self.streams:
            if stream.stream_id == stream_id:
                return stream
        raise KeyError(stream_id)


@dataclass(frozen=True)
class WaitResult:
    """`POST /v1/wait`: whether the publisher became quiescent in time, and its status."""

    quiescent: bool
    status: PublisherStatus


class RuntimeClient:
    """One runtime over HTTP; every call has a timeout."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        # A local test service: a proxy from the environment must not intercept the traffic.
        self._session.trust_env = False

    def close(self) -> None:
        self._session.close()

    def healthy(self) -> bool:
        """Whether `GET /healthz` answers 200 now; any other outcome is False."""
        try:
            response = self._session.get(self.base_url + "/healthz", timeout=self.timeout)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def append(
        self,
        topic: str,
        kind: str,
        payload: Mapping[str, Any] | str,
        published_at_ms: int | None = None,
    ) -> RuntimeEvent:
        """Journal one event; the runtime assigns its seq (E2). A str payload is sent as
        the `payload_json` text verbatim (so non-canonical text can be sent); a mapping
        as its JSON."""
        body: dict[str, object] = {
            "topic": topic,
            "kind": kind,
            "payload_json": payload if isinstance(payload, str) else json.dumps(payload),
        }
        if published_at_ms is not None:
            body["published_at_ms"] = published_at_ms
        return self.append_body(body)

    def append_body(self, body: Mapping[str, object] | bytes) -> RuntimeEvent:
        """`POST /v1/events` with `body` as JSON, or as given when it is bytes, so that
        malformed requests (bad JSON, a caller-supplied seq) can be sent on purpose."""
        answer = self._call("POST", "/v1/events", "append", answer=pb.AppendResponse, body=body)
        return _event(_required(answer, "event", "append").event)

    def journal(self, topic: str, after_seq: int = 0, limit: int = 0) -> JournalPage:
        """One page of `topic`'s events after `after_seq` (limit 0: the runtime's default)."""
        params = {"topic": topic, "after_seq": str(after_seq)}
        if limit:
            params["limit"] = str(limit)
        response = self._send("GET", "/v1/journal", "journal", params=params)
        answer = _parse(response, pb.JournalResponse, "journal")
        return JournalPage(
            topic=answer.topic,
            stream_id=answer.stream_id,
            head_seq=answer.head_seq,
            events=tuple(_event(item) for item in answer.events),
            body=response.content,
        )

    def read_topic(self, topic: str) -> list[RuntimeEvent]:
        """Every event of `topic`, paging until its head."""
        events: list[RuntimeEvent] = []
        while True:
            page = self.journal(topic, after_seq=len(events), limit=MAX_JOURNAL_PAGE)
            events.extend(page.events)
            if not page.events or len(events) >= page.head_seq:
                return events

    def status(self) -> PublisherStatus:
        return _status(self._call("GET", "/v1/status", "status", answer=pb.PublisherStatus))

    def faults(
        self,
        stream_id: str | None = None,
        *,
        pause: bool = False,
        resume: bool = False,
        duplicate_next: int | None = None,
        reorder_next: int | None = None,
        crash_after_commit_next: int | None = None,
        crash_before_send_next: int | None = None,
    ) -> PublisherStatus:
        """Pause, resume or arm faults for one stream, or for all when `stream_id` is None.
        A counter given replaces the pending count; None leaves it as it is."""
        counters = {
            "duplicate_next": duplicate_next,
            "reorder_next": reorder_next,
            "crash_after_commit_next": crash_after_commit_next,
            "crash_before_send_next": crash_before_send_next,
        }
        body: dict[str, object] = {name: n for name, n in counters.items() if n is not None}
        if stream_id is not None:
            body["stream_id"] = stream_id
        if pause:
            body["pause"] = True
        if resume:
            body["resume"] = True
        return _status(
            self._call("POST", "/v1/faults", "faults", answer=pb.PublisherStatus, body=body)
        )

    def set_target(
        self,
        stdb_url: str,
        database: str,
        token: str,
        *,
        reducer: str = REFERENCE_REDUCER,
        args: Sequence[object] = REFERENCE_ARGS,
        permanent_errors: Sequence[str] = REFERENCE_PERMANENT_ERRORS,
    ) -> PublisherStatus:
        """Publish into `database` at `stdb_url` (as the server's peers reach it) with the
        publisher's `token`. Resets the journal and all publisher state (a fresh namespace);
        an empty `stdb_url` journals without publishing.

        The module's apply reducer is called `reducer` with `args`, templates over an
        event's fields (a non-string item is a literal, a lone `"{field}"` the field with
        its type, any other string formatted text; see harness.targets.templates), and a
        530 whose text matches (`re.search`) any of `permanent_errors` is dead-lettered
        rather than retried (B3). The defaults are the reference module's and are not sent,
        so a runtime that knows nothing of them accepts the call; an empty
        `permanent_errors` (nothing permanent) is sent as a pattern that matches nothing."""
        if isinstance(args, str | bytes):
            raise TypeError("args is a sequence of templates, not one string")
        body: dict[str, object] = {"stdb_url": stdb_url, "database": database, "token": token}
        if reducer != REFERENCE_REDUCER:
            body["reducer"] = reducer
        if tuple(args) != REFERENCE_ARGS:
            body["args_json"] = json.dumps(list(args), ensure_ascii=False, allow_nan=False)
        if tuple(permanent_errors) != REFERENCE_PERMANENT_ERRORS:
            body["permanent_errors"] = list(permanent_errors) or [_MATCHES_NOTHING]
        return _status(
            self._call("POST", "/v1/target", "set target", answer=pb.PublisherStatus, body=body)
        )

    def wait(self, timeout_s: float) -> WaitResult:
        """Block until the publisher is quiescent (every stream caught up or held, nothing
        in flight) or `timeout_s` passes."""
        answer = self._call(
            "POST",
            "/v1/wait",
            "wait",
            answer=pb.WaitResponse,
            params={"timeout_s": str(timeout_s)},
            timeout=timeout_s + self.timeout,
        )
        return WaitResult(answer.quiescent, _status(_required(answer, "status", "wait").status))

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        answer: type[M],
        body: Mapping[str, object] | bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> M:
        response = self._send(method, path, operation, body=body, params=params, timeout=timeout)
        return _parse(response, answer, operation)

    def _send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        body: Mapping[str, object] | bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """One request; an error answer becomes `RuntimeRefused`, none `RuntimeUnavailable`."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(dict(body))
        headers = {"Content-Type": _JSON, "Accept": _JSON}
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
            )
        except requests.RequestException as exc:
            raise RuntimeUnavailable(
                f"{operation}: no answer from {self.base_url}: {exc}",
                "is the runtime container running? (a crash fault makes it exit with 70)",
            ) from exc
        if response.status_code != 200:
            error = _error(response)
            if error is None:
                raise RuntimeProtocolError(
                    f"{operation}: HTTP {response.status_code} without an API error body: "
                    f"{response.text[:500]!r}"
                )
            raise RuntimeRefused(operation, response.status_code, *error)
        return response


def _error(response: requests.Response) -> tuple[str, str] | None:
    """The (code, message) of an API error answer; None if the body is not one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    code, message = error.get("code"), error.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return code, message


def _parse(response: requests.Response, answer: type[M], operation: str) -> M:
    """The answer as an `answer` message, read by protobuf's JSON mapping (json_format):
    64-bit integers as numbers or strings, an absent field is its default, an unknown
    field or a value of the wrong type is a `RuntimeProtocolError`."""
    try:
        value: object = response.json()
    except ValueError as exc:
        raise RuntimeProtocolError(
            f"{operation}: answer is not JSON: {response.text[:500]!r}"
        ) from exc
    # json_format would read a top-level string or list as some message: refuse it here.
    if not isinstance(value, dict):
        raise RuntimeProtocolError(
            f"{operation}: answer is not a JSON object: {response.text[:500]!r}"
        )
    try:
        return json_format.ParseDict(value, answer())
    except json_format.ParseError as exc:
        raise RuntimeProtocolError(
            f"{operation}: answer is not a {answer.DESCRIPTOR.full_name} "
            f"(stub/proto/runtime.proto): {exc}: {response.text[:500]!r}"
        ) from exc


def _required(answer: M, name: str, operation: str) -> M:
    """`answer`, once it is known to hold its message field `name` (what it answers with)."""
    if not answer.HasField(name):
        raise RuntimeProtocolError(
            f"{operation}: answer lacks {name!r}: {json_format.MessageToJson(answer)}"
        )
    return answer


def _event(event: pb.Event) -> RuntimeEvent:
    return RuntimeEvent(
        topic=event.topic,
        seq=event.seq,
        kind=event.kind,
        payload_json=event.payload_json,
        published_at_ms=event.published_at_ms,
        stream_id=event.stream_id,
        idempotency_key=event.idempotency_key,
        payload_hash=event.payload_hash,
    )


def _counters(counters: pb.FaultCounters) -> FaultCounters:
    return FaultCounters(
        duplicate_next=counters.duplicate_next,
        reorder_next=counters.reorder_next,
        crash_after_commit_next=counters.crash_after_commit_next,
        crash_before_send_next=counters.crash_before_send_next,
    )


def _stream(stream: pb.StreamStatus) -> StreamStatus:
    letter = stream.dead_letter  # a message field: absent while the stream is not held
    held = DeadLetter(letter.seq, letter.reason, letter.delivery)
    return StreamStatus(
        stream_id=stream.stream_id,
        topic=stream.topic,
        journal_head=stream.journal_head,
        delivered_head=stream.delivered_head,
        outbox_depth=stream.outbox_depth,
        paused=stream.paused,
        dead_letter=held if stream.HasField("dead_letter") else None,
        last_error=stream.last_error,
        consecutive_failures=stream.consecutive_failures,
        in_flight=stream.in_flight,
    )


def _status(status: pb.PublisherStatus) -> PublisherStatus:
    return PublisherStatus(
        streams=tuple(_stream(stream) for stream in status.streams),
        paused_all=status.paused_all,
        target_set=status.target_set,
        stdb_url=status.stdb_url,
        database=status.database,
        journal_events=status.journal_events,
        delivered_events=status.delivered_events,
        outbox_depth=status.outbox_depth,
        paused_streams=status.paused_streams,
        dead_lettered_streams=status.dead_lettered_streams,
        quiescent=status.quiescent,
        pending_faults=_counters(status.pending_faults),
        pending_stream_faults={
            stream_id: _counters(counters)
            for stream_id, counters in sorted(status.pending_stream_faults.items())
        },
    )
