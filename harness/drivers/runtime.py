"""HTTP client for a runtime's API (stub/proto/runtime.proto): journal, publisher, faults.

It speaks the protobuf JSON mapping rather than binary protobuf, so the harness needs no
generated code from the implementation it is testing, and every exchange can be read in a
log. Answers become frozen dataclasses with the wire's field names; nothing is judged here.

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
from typing import Any, Final

import requests

from harness.contract.canonical import parse_json
from harness.contract.events import Event
from harness.errors import HarnessError

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
        answer = self._call("POST", "/v1/events", "append", body=body)
        return _event(_field(_object(answer), "event", "append"))

    def journal(self, topic: str, after_seq: int = 0, limit: int = 0) -> JournalPage:
        """One page of `topic`'s events after `after_seq` (limit 0: the runtime's default)."""
        params = {"topic": topic, "after_seq": str(after_seq)}
        if limit:
            params["limit"] = str(limit)
        response = self._send("GET", "/v1/journal", "journal", params=params)
        answer = _object(_decode(response, "journal"))
        return JournalPage(
            topic=_str(answer, "topic"),
            stream_id=_str(answer, "stream_id"),
            head_seq=_int(answer, "head_seq"),
            events=tuple(_event(item) for item in _list(answer, "events")),
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
        return _status(self._call("GET", "/v1/status", "status"))

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
        return _status(self._call("POST", "/v1/faults", "faults", body=body))

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
        return _status(self._call("POST", "/v1/target", "set target", body=body))

    def wait(self, timeout_s: float) -> WaitResult:
        """Block until the publisher is quiescent (every stream caught up or held, nothing
        in flight) or `timeout_s` passes."""
        answer = _object(
            self._call(
                "POST",
                "/v1/wait",
                "wait",
                params={"timeout_s": str(timeout_s)},
                timeout=timeout_s + self.timeout,
            )
        )
        quiescent = answer.get("quiescent", False)
        if not isinstance(quiescent, bool):
            raise RuntimeProtocolError(f"wait: quiescent is not a boolean: {answer!r}")
        return WaitResult(quiescent, _status(_field(answer, "status", "wait")))

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        body: Mapping[str, object] | bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> object:
        response = self._send(method, path, operation, body=body, params=params, timeout=timeout)
        return _decode(response, operation)

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


def _decode(response: requests.Response, operation: str) -> object:
    try:
        value: object = response.json()
    except ValueError as exc:
        raise RuntimeProtocolError(f"{operation}: answer is not JSON: {response.text!r}") from exc
    return value


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise RuntimeProtocolError(f"expected a JSON object, got {value!r}")
    return value


def _field(value: Mapping[str, object], name: str, operation: str) -> dict[str, object]:
    if name not in value:
        raise RuntimeProtocolError(f"{operation}: answer lacks {name!r}: {value!r}")
    return _object(value[name])


def _str(value: Mapping[str, object], name: str) -> str:
    """A string field; the JSON mapping omits none (the runtime prints every field)."""
    text = value.get(name)
    if not isinstance(text, str):
        raise RuntimeProtocolError(f"{name} is not a string in {value!r}")
    return text


def _int(value: Mapping[str, object], name: str) -> int:
    """An integer field; the JSON mapping may write 64-bit integers as strings."""
    number = value.get(name)
    if isinstance(number, str) and number.isascii() and number.isdigit():
        return int(number)
    if not isinstance(number, int) or isinstance(number, bool):
        raise RuntimeProtocolError(f"{name} is not an integer in {value!r}")
    return number


def _bool(value: Mapping[str, object], name: str) -> bool:
    flag = value.get(name)
    if not isinstance(flag, bool):
        raise RuntimeProtocolError(f"{name} is not a boolean in {value!r}")
    return flag


def _list(value: Mapping[str, object], name: str) -> list[object]:
    items = value.get(name, [])
    if not isinstance(items, list):
        raise RuntimeProtocolError(f"{name} is not a list in {value!r}")
    return items


def _event(value: object) -> RuntimeEvent:
    item = _object(value)
    return RuntimeEvent(
        topic=_str(item, "topic"),
        seq=_int(item, "seq"),
        kind=_str(item, "kind"),
        payload_json=_str(item, "payload_json"),
        published_at_ms=_int(item, "published_at_ms"),
        stream_id=_str(item, "stream_id"),
        idempotency_key=_str(item, "idempotency_key"),
        payload_hash=_str(item, "payload_hash"),
    )


def _counters(value: object) -> FaultCounters:
    item = _object(value)
    return FaultCounters(
        duplicate_next=_int(item, "duplicate_next"),
        reorder_next=_int(item, "reorder_next"),
        crash_after_commit_next=_int(item, "crash_after_commit_next"),
        crash_before_send_next=_int(item, "crash_before_send_next"),
    )


def _dead_letter(value: object) -> DeadLetter:
    item = _object(value)
    return DeadLetter(_int(item, "seq"), _str(item, "reason"), _str(item, "delivery"))


def _stream(value: object) -> StreamStatus:
    item = _object(value)
    letter = item.get("dead_letter")  # a message field: absent when there is none
    return StreamStatus(
        stream_id=_str(item, "stream_id"),
        topic=_str(item, "topic"),
        journal_head=_int(item, "journal_head"),
        delivered_head=_int(item, "delivered_head"),
        outbox_depth=_int(item, "outbox_depth"),
        paused=_bool(item, "paused"),
        dead_letter=None if letter is None else _dead_letter(letter),
        last_error=_str(item, "last_error"),
        consecutive_failures=_int(item, "consecutive_failures"),
        in_flight=_bool(item, "in_flight"),
    )


def _status(value: object) -> PublisherStatus:
    item = _object(value)
    per_stream = _object(item.get("pending_stream_faults", {}))
    return PublisherStatus(
        streams=tuple(_stream(stream) for stream in _list(item, "streams")),
        paused_all=_bool(item, "paused_all"),
        target_set=_bool(item, "target_set"),
        stdb_url=_str(item, "stdb_url"),
        database=_str(item, "database"),
        journal_events=_int(item, "journal_events"),
        delivered_events=_int(item, "delivered_events"),
        outbox_depth=_int(item, "outbox_depth"),
        paused_streams=_int(item, "paused_streams"),
        dead_lettered_streams=_int(item, "dead_lettered_streams"),
        quiescent=_bool(item, "quiescent"),
        pending_faults=_counters(_field(item, "pending_faults", "status")),
        pending_stream_faults={
            stream_id: _counters(counters) for stream_id, counters in per_stream.items()
        },
    )
