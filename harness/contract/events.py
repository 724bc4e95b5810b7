"""Authority events (E1-E6) and their `apply_event` form, validated as M1 step 2 orders it.

The validation lives here, not in the model, because three parties need the same answer:
the oracle (which error does the module owe?), the stub runtime and the generators (is this
event one the module must accept?). An `Event` may be contract-invalid on purpose, so that
scenarios can send bad events; it only refuses what cannot be put on the wire at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from harness.contract.canonical import (
    U64_MAX,
    CanonicalJsonError,
    canonical_json,
    parse_json,
    sha256_tag,
)
from harness.contract.error_texts import InvalidField, invalid_event
from harness.contract.kinds import kinds_for, payload_fits
from harness.contract.rules import cite
from harness.contract.streams import InvalidStreamIdError, parse_stream_id, stream_of
from harness.contract.timestamps import format_ms
from harness.contract.topics import is_valid_topic


class ApplyEventArgs(NamedTuple):
    """The arguments of the module's `apply_event` reducer, in their call order (M1)."""

    stream_id: str
    seq: int
    idempotency_key: str
    kind: str
    payload_json: str
    payload_hash: str
    published_at_ms: int


def idempotency_key(topic: str, seq: int) -> str:
    """`topic:<topic>:seq:<seq>`: the identity of an event as text (E6)."""
    return f"topic:{topic}:seq:{seq}"


def hash_input(
    topic: str, seq: int, kind: str, payload: Mapping[str, Any], published_at_ms: int
) -> str:
    """The canonical JSON that E5 hashes, with `published_at` as RFC 3339 text."""
    return canonical_json(
        {
            "kind": kind,
            "payload": payload,
            "published_at": format_ms(published_at_ms),
            "seq": seq,
            "topic": topic,
        }
    )


@dataclass(frozen=True, slots=True)
class Event:
    """One journaled event (E1). Its payload is copied on construction, so later changes
    to the caller's dict cannot change a journaled event (E3)."""

    topic: str
    seq: int
    kind: str
    payload: Mapping[str, Any] = field(hash=False)
    published_at_ms: int
    _payload_json: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        seq_is_int = isinstance(self.seq, int) and not isinstance(self.seq, bool)
        if not seq_is_int or not 0 <= self.seq <= U64_MAX:
            raise ValueError(cite("E1", f"seq {self.seq!r} is not a u64"))
        format_ms(self.published_at_ms)
        if not isinstance(self.payload, Mapping):
            raise CanonicalJsonError(cite("E1", f"payload {self.payload!r} is not an object"))
        text = canonical_json(self.payload)
        object.__setattr__(self, "payload", json.loads(text))
        object.__setattr__(self, "_payload_json", text)

    @property
    def stream_id(self) -> str:
        """The event's stream (S1); `InvalidTopicError` if its topic breaks E1."""
        return stream_of(self.topic)

    @property
    def idempotency_key(self) -> str:
        """`topic:<topic>:seq:<seq>` (E6)."""
        return idempotency_key(self.topic, self.seq)

    @property
    def published_at(self) -> str:
        """`published_at` as the RFC 3339 text that is hashed (E5)."""
        return format_ms(self.published_at_ms)

    @property
    def payload_json(self) -> str:
        """The canonical JSON of the payload alone (E4), as `apply_event` receives it."""
        return self._payload_json

    def hash_input(self) -> str:
        """The canonical JSON that the payload hash covers (E5)."""
        return hash_input(self.topic, self.seq, self.kind, self.payload, self.published_at_ms)

    @property
    def payload_hash(self) -> str:
        """`sha256:<hex>` of `hash_input()` (E5)."""
        return sha256_tag(self.hash_input())

    def reducer_args(self) -> ApplyEventArgs:
        """The `apply_event` arguments that deliver this event (M1)."""
        return ApplyEventArgs(
            stream_id=self.stream_id,
            seq=self.seq,
            idempotency_key=self.idempotency_key,
            kind=self.kind,
            payload_json=self.payload_json,
            payload_hash=self.payload_hash,
            published_at_ms=self.published_at_ms,
        )


def apply_rejection(args: ApplyEventArgs) -> str | None:
    """The `invalid_event <field>` text the module owes for these arguments (M1 step 2,
    P4), or None when they are valid. The order of the checks is part of the contract:
    the first failing one names the field."""
    try:
        stream = parse_stream_id(args.stream_id)
    except InvalidStreamIdError:
        return invalid_event("stream_id")
    required: tuple[InvalidField, ...] = ("idempotency_key", "kind", "payload_json", "payload_hash")
    for name in required:
        if not getattr(args, name):
            return invalid_event(name)
    if args.seq == 0:
        return invalid_event("seq")
    if args.idempotency_key != idempotency_key(stream.topic, args.seq):
        return invalid_event("idempotency_key")
    try:
        payload = parse_json(args.payload_json)
    except CanonicalJsonError:
        return invalid_event("payload")
    if not isinstance(payload, dict):
        return invalid_event("payload")
    if args.payload_hash != _recomputed_hash(stream.topic, args, payload):
        return invalid_event("payload_hash")
    if args.kind not in kinds_for(stream.family):
        return invalid_event("kind")
    if not payload_fits(stream.family, args.kind, payload):
        return invalid_event("payload")
    return None


def _recomputed_hash(topic: str, args: ApplyEventArgs, payload: dict[str, Any]) -> str | None:
    """E5's hash of the arguments, or None when E4/E1 give them no canonical form (an
    integer beyond i64/u64, a timestamp past year 9999): then no given hash can match."""
    try:
        return sha256_tag(hash_input(topic, args.seq, args.kind, payload, args.published_at_ms))
    except ValueError:
        return None


def validate_event(event: Event) -> str | None:
    """The `invalid_event <field>` text the module owes for `event`, or None if it must
    accept it. An event whose topic breaks E1 has no stream id to send, which the module
    can only see as `invalid_event stream_id`."""
    if not is_valid_topic(event.topic):
        return invalid_event("stream_id")
    return apply_rejection(event.reducer_args())
