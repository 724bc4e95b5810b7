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

from stub.runtime.canon import CanonError, canonical, number_problem, read_json
from stub.runtime.errors import RefusedError
from stub.runtime.event import KIND_FIELDS, LAST_MS, payload_lacks
from stub.runtime.naming import family_of_topic, topic_problem

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
    if published_at_ms is not None and not 0 <= published_at_ms <= LAST_MS:
        raise RefusedError(
            "invalid_published_at", f"published_at_ms {published_at_ms} is not in [0, {LAST_MS}]"
        )
    family = family_of_topic(topic)
    known = KIND_FIELDS[family]
    if kind not in known:
        raise RefusedError(
            "unknown_kind",
            f"kind {kind!r} is not one of {sorted(known)} for a {family} topic ({topic!r})",
        )
    missing = payload_lacks(family, kind, payload)
    if missing is not None:
        raise RefusedError(
            "invalid_payload", f"payload lacks the field {missing!r} of {kind!r}"
            " or has it with a wrong type"
        )
    return Draft(topic, kind, payload, published_at_ms)


def _payload(payload_json: str) -> dict[str, Any]:
    """The payload object, refused when it is not JSON, not an object, holds a number with
    no canonical form (E4: beyond i64/u64, not finite) or a non-integer one, or is too
    large in canonical form."""
    try:
        payload = read_json(payload_json)
    except CanonError as exc:
        raise RefusedError("invalid_json", f"payload_json: {exc}") from None
    if not isinstance(payload, dict):
        raise RefusedError("payload_not_object", "payload_json is not a JSON object")
    problem = number_problem(payload)
    if problem is not None and problem[0]:
        raise RefusedError("invalid_json", f"payload_json: {problem[1]}")
    if problem is not None:
        # E4 writes integers as integers but fixes no spelling for other numbers (Python
        # writes 1e-07, serde_json 1e-7), so the module could recompute another hash and
        # refuse the event forever; refusing it here keeps it out of the journal.
        raise RefusedError("unsupported_number",
                           f"payload_json: {problem[1]}; E4 fixes no form for it")
    size = len(canonical(payload).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise RefusedError(
            "payload_too_large",
            f"canonical payload is {size} bytes, more than {MAX_PAYLOAD_BYTES}",
        )
    return payload
