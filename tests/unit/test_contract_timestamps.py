"""published_at as milliseconds and RFC 3339 text (E1, E5)."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.timestamps import MAX_MS, format_ms, parse_ms


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
        (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
        (MAX_MS, "9999-12-31T23:59:59.999Z"),
    ],
)
def test_E5_published_at_is_utc_with_three_fraction_digits(ms: int, text: str) -> None:
    assert format_ms(ms) == text
    assert parse_ms(text) == ms


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_MS))
def test_E5_format_and_parse_are_inverse(ms: int) -> None:
    text = format_ms(ms)
    assert len(text) == 24
    assert parse_ms(text) == ms


@pytest.mark.parametrize("ms", [-1, MAX_MS + 1, 2**64 - 1, True])
def test_E1_published_at_outside_rfc3339_or_u64_is_refused(ms: int) -> None:
    with pytest.raises(ValueError, match="E1"):
        format_ms(ms)


@pytest.mark.parametrize(
    "text",
    [
        "2023-11-14T22:13:20.12Z",
        "2023-11-14T22:13:20.1230Z",
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20.123+00:00",
        "2023-11-14t22:13:20.123z",
        "2023-11-14 22:13:20.123Z",
        "2023-02-30T00:00:00.000Z",
        "2023-11-14T24:00:00.000Z",
        "2016-12-31T23:59:60.000Z",
        "1969-12-31T23:59:59.999Z",
    ],
)
def test_E1_only_the_canonical_spelling_parses(text: str) -> None:
    with pytest.raises(ValueError, match="E1"):
        parse_ms(text)
