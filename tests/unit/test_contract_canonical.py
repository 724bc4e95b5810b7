"""E4 canonical JSON and the E5 sha256 tag."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import hashlib
import json
import math
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.canonical import (
    I64_MIN,
    U64_MAX,
    CanonicalJsonError,
    canonical_json,
    parse_json,
    sha256_tag,
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=I64_MIN, max_value=U64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"))
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def _keys_sorted_everywhere(text: str) -> bool:
    ordered = True

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal ordered
        keys = [key for key, _ in pairs]
        ordered = ordered and keys == sorted(keys)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return ordered


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_E4_round_trip_is_lossless(value: Any) -> None:
    text = canonical_json(value)
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_E4_keys_sorted_at_every_level(value: Any) -> None:
    assert _keys_sorted_everywhere(canonical_json(value))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.integers(0, 9), min_size=2, max_size=6))
def test_E4_insertion_order_does_not_matter(mapping: dict[str, int]) -> None:
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reversed_mapping)


def test_E4_no_spaces_utf8_and_integers() -> None:
    value = {"b": [1, 2], "a": {"é": "ü ☃", "z": None}, "c": True, "d": 10**18}
    expected = '{"a":{"z":null,"é":"ü ☃"},"b":[1,2],"c":true,"d":1000000000000000000}'
    assert canonical_json(value) == expected


def test_E4_accepts_the_i64_u64_bounds() -> None:
    assert canonical_json([I64_MIN, U64_MAX]) == f"[{I64_MIN},{U64_MAX}]"


@pytest.mark.parametrize("number", [U64_MAX + 1, I64_MIN - 1, 10**30])
def test_E4_rejects_integers_the_module_cannot_parse_exactly(number: int) -> None:
    with pytest.raises(CanonicalJsonError, match="E4"):
        canonical_json({"n": number})


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_E4_rejects_nan_and_infinity(number: float) -> None:
    with pytest.raises(CanonicalJsonError, match="E4"):
        canonical_json([number])


@pytest.mark.parametrize("key", [1, None, 1.5, ("a",)])
def test_E4_rejects_non_string_keys(key: object) -> None:
    with pytest.raises(CanonicalJsonError, match="E4"):
        canonical_json({key: 1})


@pytest.mark.parametrize("value", ["\ud800", {"\udfff": 1}, {1, 2}, b"bytes", object()])
def test_E4_rejects_values_without_a_utf8_json_form(value: object) -> None:
    with pytest.raises(CanonicalJsonError, match="E4"):
        canonical_json(value)


def test_E4_any_mapping_or_sequence_is_written_as_object_or_array() -> None:
    assert canonical_json(MappingProxyType({"k": (1, "x")})) == '{"k":[1,"x"]}'


@pytest.mark.parametrize("text", ["NaN", '{"a":Infinity}', '["\\ud800"]', "{", "", "[1,]"])
def test_E4_parse_json_refuses_what_the_module_refuses(text: str) -> None:
    with pytest.raises(CanonicalJsonError):
        parse_json(text)


def test_E4_parse_json_keeps_big_integers_for_the_hash_check() -> None:
    assert parse_json('{"n":18446744073709551616}') == {"n": 2**64}


def test_E5_sha256_tag_is_lowercase_hex_of_utf8() -> None:
    text = '{"k":"é"}'
    assert sha256_tag(text) == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert sha256_tag("") == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
