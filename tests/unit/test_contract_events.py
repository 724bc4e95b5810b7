"""Events (E1, E3, E5, E6), their reducer form (M1) and M1 step 2's validation order."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import hashlib
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.canonical import CanonicalJsonError, canonical_json
from harness.contract.events import (
    ApplyEventArgs,
    Event,
    apply_rejection,
    hash_input,
    idempotency_key,
    validate_event,
)
from harness.contract.streams import stream_of

SELF_CHECK_INPUT = (
    '{"kind":"run.created","payload":{"owner":"alice"},'
    '"published_at":"2023-11-14T22:13:20.123Z","seq":1,"topic":"run:r1:events"}'
)


def _event(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "topic": "run:r1:events",
        "seq": 1,
        "kind": "run.created",
        "payload": {"owner": "alice"},
        "published_at_ms": 1_700_000_000_123,
    }
    fields.update(changes)
    return Event(**fields)


def test_E5_self_check_hash_input() -> None:
    assert _event().hash_input() == SELF_CHECK_INPUT


def test_E5_payload_hash_is_sha256_of_the_hash_input() -> None:
    digest = hashlib.sha256(SELF_CHECK_INPUT.encode("utf-8")).hexdigest()
    assert _event().payload_hash == f"sha256:{digest}"


@pytest.mark.parametrize(
    "change",
    [
        {"topic": "run:r2:events"},
        {"seq": 2},
        {"kind": "run.cancelled"},
        {"payload": {"owner": "bob"}},
        {"published_at_ms": 1_700_000_000_124},
    ],
)
def test_E5_hash_covers_every_field(change: dict[str, Any]) -> None:
    assert _event(**change).payload_hash != _event().payload_hash


def test_E6_idempotency_key() -> None:
    assert _event().idempotency_key == "topic:run:r1:events:seq:1"
    assert idempotency_key("a:b", 12) == "topic:a:b:seq:12"


def test_E3_payload_is_copied_and_the_event_frozen() -> None:
    payload: dict[str, Any] = {"owner": "alice", "tags": ["x"]}
    event = _event(payload=payload)
    payload["owner"] = "mallory"
    payload["tags"].append("y")
    assert event.payload == {"owner": "alice", "tags": ["x"]}
    assert event.payload_json == '{"owner":"alice","tags":["x"]}'
    with pytest.raises(FrozenInstanceError):
        event.seq = 2  # type: ignore[misc]


def test_E1_event_fields() -> None:
    event = _event()
    assert event.stream_id == "runtime.run.r1.events"
    assert event.published_at == "2023-11-14T22:13:20.123Z"
    assert event == _event(payload={"owner": "alice"})
    assert hash(event) == hash(_event())


@pytest.mark.parametrize(
    "change",
    [{"seq": -1}, {"seq": 2**64}, {"seq": True}, {"seq": 1.5}, {"published_at_ms": -1}],
)
def test_E1_event_refuses_values_that_cannot_be_sent(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="E1"):
        _event(**change)


@pytest.mark.parametrize("payload", [{"n": float("nan")}, {1: "x"}, {"n": 2**64}])
def test_E4_event_refuses_payloads_without_canonical_json(payload: Any) -> None:
    with pytest.raises(CanonicalJsonError, match="E4"):
        _event(payload=payload)


def test_E1_event_payload_must_be_an_object() -> None:
    with pytest.raises(CanonicalJsonError, match="E1"):
        _event(payload=["owner"])


def test_M1_reducer_args_in_call_order() -> None:
    event = _event()
    assert list(event.reducer_args()) == [
        "runtime.run.r1.events",
        1,
        "topic:run:r1:events:seq:1",
        "run.created",
        '{"owner":"alice"}',
        event.payload_hash,
        1_700_000_000_123,
    ]


def test_M1_valid_event_has_no_rejection() -> None:
    assert validate_event(_event()) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"topic": "bad topic"}, "invalid_event stream_id"),
        ({"kind": ""}, "invalid_event kind"),
        ({"seq": 0}, "invalid_event seq"),
        ({"kind": "worker.online"}, "invalid_event kind"),
        ({"payload": {}}, "invalid_event payload"),
        ({"kind": "", "seq": 0}, "invalid_event kind"),
    ],
)
def test_M1_validate_event_names_the_first_bad_field(change: dict[str, Any], reason: str) -> None:
    assert validate_event(_event(**change)) == reason


# M1 step 2, as a list of (breakage, field it names) in the contract's order.
ORDER = [
    ("stream_id_bad", "stream_id"),
    ("key_empty", "idempotency_key"),
    ("kind_empty", "kind"),
    ("payload_json_empty", "payload_json"),
    ("hash_empty", "payload_hash"),
    ("seq_zero", "seq"),
    ("key_wrong", "idempotency_key"),
    ("payload_not_object", "payload"),
    ("hash_wrong", "payload_hash"),
    ("kind_unknown", "kind"),
    ("payload_fields", "payload"),
]


def broken_args(breaks: frozenset[str], bad_stream: str = "") -> ApplyEventArgs:
    """Valid apply_event arguments with the chosen breakages, the hash kept right unless a
    breakage targets it, so each breakage is the only reason its check can fire."""
    topic, seq, ms = "run:r1:events", 1, 1_700_000_000_123
    kind = "run.exploded" if "kind_unknown" in breaks else "run.step"
    payload: dict[str, Any] = {"tokens": "7"} if "payload_fields" in breaks else {"tokens": 7}
    payload_json = "[1]" if "payload_not_object" in breaks else canonical_json(payload)
    payload_hash = (
        "sha256:" + hashlib.sha256(hash_input(topic, seq, kind, payload, ms).encode()).hexdigest()
    )
    if "seq_zero" in breaks:
        seq = 0
    key = idempotency_key(topic, seq + 1 if "key_wrong" in breaks else seq)
    if "hash_wrong" in breaks:
        payload_hash = "sha256:" + "0" * 64
    return ApplyEventArgs(
        stream_id=bad_stream if "stream_id_bad" in breaks else stream_of(topic),
        seq=seq,
        idempotency_key="" if "key_empty" in breaks else key,
        kind="" if "kind_empty" in breaks else kind,
        payload_json="" if "payload_json_empty" in breaks else payload_json,
        payload_hash="" if "hash_empty" in breaks else payload_hash,
        published_at_ms=ms,
    )


def expected_reason(breaks: frozenset[str]) -> str | None:
    for breakage, field in ORDER:
        if breakage in breaks:
            return f"invalid_event {field}"
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.frozensets(st.sampled_from([name for name, _ in ORDER])),
    st.sampled_from(["", "runtime.topic.run.r1.events", "nope", "runtime.topic.%zz"]),
)
def test_M1_validation_reports_the_first_failing_check(
    breaks: frozenset[str], bad_stream: str
) -> None:
    assert apply_rejection(broken_args(breaks, bad_stream)) == expected_reason(breaks)


def test_M1_each_check_alone_names_its_field() -> None:
    for breakage, field in ORDER:
        assert apply_rejection(broken_args(frozenset({breakage}))) == f"invalid_event {field}"


@pytest.mark.parametrize(
    ("payload_json", "reason"),
    [
        ('{"tokens":7,"tokens":-1}', "invalid_event payload_hash"),
        ('{"tokens":18446744073709551616}', "invalid_event payload_hash"),
        ('{"tokens":NaN}', "invalid_event payload"),
        ("not json", "invalid_event payload"),
    ],
)
def test_M1_payload_json_is_parsed_like_the_module(payload_json: str, reason: str) -> None:
    args = broken_args(frozenset())._replace(payload_json=payload_json)
    assert apply_rejection(args) == reason


def test_E5_hash_is_over_the_parsed_payload_not_its_spelling() -> None:
    args = broken_args(frozenset())
    assert apply_rejection(args._replace(payload_json='{ "tokens" : 7 }')) is None


def test_E5_timestamp_past_rfc3339_range_cannot_match_a_hash() -> None:
    args = broken_args(frozenset())._replace(published_at_ms=2**64 - 1)
    assert apply_rejection(args) == "invalid_event payload_hash"
