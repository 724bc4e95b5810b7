"""Each field a step sends, partitioned into classes of values: the unit of input coverage.

A clause says which branch of a rule was taken; it does not say with what. A module that
orders seqs as text passes every clause until a seq has two digits; a service that reads
`ttl_seconds or 300` passes until the ttl is falsy. So every field a scenario sends is
declared here with its classes (typical values, boundaries, empty, falsy, padded, quoted,
non-ASCII, wrong type...), and a class is reached when a step sends a value of it. The
classes are rows of the clause matrix (`harness.checks.clauses`, ids `<rule>.<field>=<class>`
under the rule that judges the field), so pr shows each one drawn and nightly fails on one
never drawn, as it does on a clause.

The classifiers are pure functions of the value and of where the stream stands (its head
as the oracle has it), so the count means what was sent, not what was answered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from harness.contract.sync_tokens import ALLOWED_SCOPES, MAX_TTL_SECONDS, MIN_TTL_SECONDS
from harness.generators.token_requests import BEARER, TokenCase
from harness.targets.capabilities import Capability


@dataclass(frozen=True)
class Field:
    """One field: the rule whose clauses judge it, what a target needs to be sent it, and
    its classes with what each holds."""

    rule: str
    name: str
    needs: frozenset[Capability]
    classes: Mapping[str, str]


_APPLY = frozenset({Capability.MODULE_APPLY})
_CLIENT = frozenset({Capability.MODULE_APPLY, Capability.CLIENT})
_ACK = frozenset({Capability.MODULE_APPLY, Capability.MODULE_ACK})
_COMPACT = frozenset({Capability.MODULE_APPLY, Capability.MODULE_COMPACT})
_CONTROL = frozenset({Capability.CONTROL})


def _against_the_head(what: str) -> dict[str, str]:
    """The classes of a seq-like value a call takes where the stream stands (`what`: the
    call), as `_against_head` classes it."""
    return {"zero": f"{what} 0", "inside": f"{what} between 0 and the head",
            "head": f"{what} at the head", "past_head": f"{what} past the head"}


FIELDS: Final[tuple[Field, ...]] = (
    Field("M1", "seq", _APPLY, {
        "first": "seq 1 of its stream",
        "next": "the stream's next seq after the first",
        "last": "the last seq its stream journaled",
        "redelivered": "a seq at or below the stream's head",
        "past_next": "a seq past head + 1",
        "multi_digit": "a seq of two digits or more",
    }),
    Field("E4", "text", _APPLY, {
        "typical": "a payload string of plain ASCII",
        "empty": "an empty payload string",
        "padded": "a payload string with surrounding whitespace",
        "quotes": "a payload string holding a quote or a backslash",
        "non_ascii": "a payload string holding non-ASCII text",
    }),
    Field("E4", "number", _APPLY, {
        "zero": "a payload number 0",
        "positive": "a positive payload number",
    }),
    Field("R1", "cursor", _CLIENT, _against_the_head("a resume from cursor")),
    Field("R1", "budget", _CLIENT, {
        "zero": "a replay budget of 0",
        "positive": "a positive replay budget",
    }),
    Field("M6", "seq", _ACK, _against_the_head("an ack of seq")),
    Field("M4", "through", _COMPACT, _against_the_head("a compaction through")),
    Field("T2", "body", _CONTROL, {
        "empty_object": "a body {}",
        "fields": "a JSON object with fields",
        "absent": "no body at all",
        "not_json": "a body that is not JSON",
        "not_object": "a JSON body that is not an object",
    }),
    Field("T2", "authorization", _CONTROL, {
        "bearer": "Authorization: Bearer <secret>",
        "absent": "no Authorization header",
        "other": "another scheme, no scheme or no secret",
    }),
    Field("T3", "ttl_seconds", _CONTROL, {
        "absent": "ttl_seconds left out",
        "in_range": "an integer inside the bounds",
        "boundary": "an integer at a bound or just past it",
        "zero": "ttl_seconds 0",
        "negative": "a negative ttl_seconds",
        "falsy": "false, an empty string or an empty list",
        "null": "ttl_seconds null",
        "wrong_type": "a string, a fraction or true",
    }),
    Field("T3", "scopes", _CONTROL, {
        "absent": "scopes left out",
        "one": "one known scope",
        "several": "several known scopes in order",
        "unsorted": "known scopes out of order",
        "duplicated": "a scope listed twice",
        "padded": "a scope with surrounding whitespace",
        "unknown": "a scope the service does not know",
        "wrong_type": "scopes that are not a list",
    }),
    Field("T3", "topics", _CONTROL, {
        "typical": "topics of a granted family",
        "quotes": "a topic holding quotes and a backslash",
        "wrong_type": "a topic that is not a string",
    }),
    Field("T3", "device_id", _CONTROL, {
        "ascii": "a device id of plain ASCII",
        "non_ascii": "a device id holding non-ASCII text",
    }),
)


def class_id(rule: str, name: str, value_class: str) -> str:
    return f"{rule}.{name}={value_class}"


def declared() -> Iterator[tuple[str, str, frozenset[Capability]]]:
    """Every (id, title, needs) of every class, for the clause matrix."""
    for field in FIELDS:
        for value_class, title in field.classes.items():
            yield class_id(field.rule, field.name, value_class), title, field.needs


def _against_head(value: int, head: int) -> str:
    if value == 0:
        return "zero"
    if value == head:
        return "head"
    return "past_head" if value > head else "inside"


def delivered_seq(seq: int, head: int, last: int) -> list[str]:
    """An apply of `seq` on a stream whose head is `head` and whose journal ends at `last`."""
    found = ["first" if seq == 1 else "next" if seq == head + 1 else
             "redelivered" if seq <= head else "past_next"]
    found += ["last"] if seq == last else []
    found += ["multi_digit"] if seq >= 10 else []
    return [class_id("M1", "seq", c) for c in found]


def payload_values(payload: Mapping[str, Any]) -> list[str]:
    """The classes of every string and number a payload holds, nested ones too."""
    found: set[str] = set()
    for value in _leaves(payload):
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            found.add(class_id("E4", "text", _text_class(value)))
            if value and not value.isascii():
                found.add(class_id("E4", "text", "non_ascii"))
            if any(mark in value for mark in "\"\\"):
                found.add(class_id("E4", "text", "quotes"))
        elif isinstance(value, int | float):
            found.add(class_id("E4", "number", "zero" if value == 0 else "positive"))
    return sorted(found)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _text_class(value: str) -> str:
    if not value:
        return "empty"
    if value != value.strip():
        return "padded"
    return "typical"


def resume_cursor(cursor: int, budget: int, head: int) -> list[str]:
    return [class_id("R1", "cursor", _against_head(cursor, head)),
            class_id("R1", "budget", "zero" if budget == 0 else "positive")]


def ack_seq(seq: int, head: int) -> list[str]:
    return [class_id("M6", "seq", _against_head(seq, head))]


def compact_through(through: int, head: int) -> list[str]:
    return [class_id("M4", "through", _against_head(through, head))]


def token_request(case: TokenCase) -> list[str]:
    """The classes of a token request's body, header and each body field it holds."""
    body = case.body
    found = [_body_class(body)]
    found.append("T2.authorization=" + (
        "absent" if case.authorization is None else
        "bearer" if case.authorization == BEARER else "other"))
    if isinstance(body, dict):
        found += _ttl(body)
        found += _scopes(body)
        found += _topics(body)
        device = body.get("device_id")
        if isinstance(device, str):
            found.append("T3.device_id=" + ("ascii" if device.isascii() else "non_ascii"))
    return found


def _body_class(body: Any) -> str:
    if isinstance(body, bytes):
        return "T2.body=" + ("absent" if not body else "not_json")
    if isinstance(body, dict):
        return "T2.body=" + ("fields" if body else "empty_object")
    return "T2.body=not_object"


# a bound and one past it, either side
_TTL_BOUNDS: Final = (MIN_TTL_SECONDS - 1, MIN_TTL_SECONDS, MAX_TTL_SECONDS,
                      MAX_TTL_SECONDS + 1)


def _ttl(body: Mapping[str, Any]) -> list[str]:
    if "ttl_seconds" not in body:
        return ["T3.ttl_seconds=absent"]
    ttl = body["ttl_seconds"]
    if ttl is None:
        value_class = "null"
    elif ttl is False or ttl in ("", []):
        value_class = "falsy"
    elif isinstance(ttl, bool) or not isinstance(ttl, int):
        value_class = "wrong_type"
    elif ttl == 0:
        value_class = "zero"
    elif ttl < 0:
        value_class = "negative"
    else:
        value_class = "boundary" if ttl in _TTL_BOUNDS else "in_range"
    return [f"T3.ttl_seconds={value_class}"]


def _scopes(body: Mapping[str, Any]) -> list[str]:
    if "scopes" not in body:
        return ["T3.scopes=absent"]
    scopes = body["scopes"]
    if not isinstance(scopes, list):
        return ["T3.scopes=wrong_type"]
    found = []
    texts = [s for s in scopes if isinstance(s, str)]
    if any(s != s.strip() for s in texts):
        found.append("padded")
    if any(s.strip() not in ALLOWED_SCOPES for s in texts):
        found.append("unknown")
    if len(set(texts)) < len(texts):
        found.append("duplicated")
    if texts != sorted(texts):
        found.append("unsorted")
    if not found:
        found.append("one" if len(texts) == 1 else "several")
    return [f"T3.scopes={c}" for c in found]


def _topics(body: Mapping[str, Any]) -> list[str]:
    topics = body.get("topics")
    if not isinstance(topics, list):
        return []
    found = set()
    for topic in topics:
        if not isinstance(topic, str):
            found.add("wrong_type")
        elif any(mark in topic for mark in "\"\\"):
            found.add("quotes")
        else:
            found.add("typical")
    return [f"T3.topics={c}" for c in sorted(found)]
