"""What may enter the journal: every check an append must pass before it gets a seq.

A refused append must leave no trace (E2: seqs are never reused, so an event the module
would refuse must not even be numbered). The checks follow what the module would refuse
(M1 step 2, P4) plus the runtime's own limits, and each failure names its problem with a
stable code so that a caller can tell a bad topic from a bad payload without parsing text.
Seq is not checked here: a request cannot carry one at all (see `wire`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.contract.canonical import CanonicalJsonError, canonical_json, parse_json
from harness.contract.kinds import kinds_for, payload_fits
from harness.contract.streams import stream_family, stream_of
from harness.contract.timestamps import MAX_MS
from harness.contract.topics import topic_problem
from stub.runtime.errors import RefusedError

MAX_PAYLOAD_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Draft:
    """An append that passed every check: all it lacks is its seq (and perhaps its time)."""

    topic: str
    kind: str
    payload: Mapping[str, Any]
    published_at_ms: int | None


def admit(topic: str, kind: str, payload_json: str, published_at_ms: int | None) -> Draft:
    """The draft of a valid append; `RefusedError` naming the first problem otherwise."""
    problem = topic_problem(topic)
    if problem is not None:
        raise RefusedError("invalid_topic", f"topic {topic!r}: {problem}")
    payload = _payload(payload_json)
    if published_at_ms is not None and not 0 <= published_at_ms <= MAX_MS:
        raise RefusedError(
            "invalid_published_at", f"published_at_ms {published_at_ms} is not in [0, {MAX_MS}]"
        )
    family = stream_family(stream_of(topic))
    known = kinds_for(family)
    if kind not in known:
        raise RefusedError(
            "unknown_kind",
            f"kind {kind!r} is not one of {sorted(known)} for a {family} topic ({topic!r})",
        )
    if not payload_fits(family, kind, payload):
        raise RefusedError(
            "invalid_payload", f"payload lacks a required field of {kind!r} or has a wrong type"
        )
    return Draft(topic, kind, payload, published_at_ms)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return False


def _payload(payload_json: str) -> dict[str, Any]:
    """The payload object, refused when it is not JSON, not an object, has no canonical
    form (E4: NaN, integers beyond i64/u64) or is too large in that form."""
    try:
        payload = parse_json(payload_json)
        if not isinstance(payload, dict):
            raise RefusedError("payload_not_object", "payload_json is not a JSON object")
        size = len(canonical_json(payload).encode("utf-8"))
    except CanonicalJsonError as exc:
        raise RefusedError("invalid_json", f"payload_json: {exc}") from None
    if _has_float(payload):
        # E4 writes integers as integers but fixes no spelling for other numbers (Python
        # writes 1e-07, serde_json 1e-7), so the module could recompute another hash and
        # refuse the event forever; refusing it here keeps it out of the journal.
        raise RefusedError("unsupported_number",
                           "payload_json holds a non-integer number; E4 fixes no form for it")
    if size > MAX_PAYLOAD_BYTES:
        raise RefusedError(
            "payload_too_large",
            f"canonical payload is {size} bytes, more than {MAX_PAYLOAD_BYTES}",
        )
    return payload
