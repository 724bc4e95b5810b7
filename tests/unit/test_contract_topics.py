"""E1's topic rule: 1..256 code points, no White_Space, no Cc."""

# Test names carry the rule id they check (CONTRACT.md), upper case as the contract writes it.

from __future__ import annotations

import sys
import unicodedata

import pytest

from harness.contract.topics import (
    MAX_TOPIC_LENGTH,
    WHITE_SPACE,
    InvalidTopicError,
    check_topic,
    is_control,
    is_valid_topic,
)


def test_E1_white_space_is_the_25_unicode_code_points() -> None:
    expected = {
        *range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
        0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    }  # fmt: skip
    assert {ord(char) for char in WHITE_SPACE} == expected
    assert len(WHITE_SPACE) == 25


def test_E1_control_is_exactly_category_cc() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert is_control(char) == (unicodedata.category(char) == "Cc"), hex(code)


def test_E1_isspace_adds_nothing_the_rule_lets_through() -> None:
    isspace = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert all(char in WHITE_SPACE or is_control(char) for char in isspace)


@pytest.mark.parametrize("char", sorted(WHITE_SPACE))
def test_E1_every_white_space_char_is_refused(char: str) -> None:
    assert not is_valid_topic(f"run:a{char}b:events")


@pytest.mark.parametrize("code", [0x00, 0x1B, 0x1F, 0x7F, 0x9F])
def test_E1_control_chars_are_refused(code: int) -> None:
    assert not is_valid_topic(f"topic{chr(code)}")


@pytest.mark.parametrize("char", ["\u200b", "\u180e", "\ufeff", "é", "😀", "%", ".", ":"])
def test_E1_other_chars_are_allowed(char: str) -> None:
    assert is_valid_topic(f"a{char}b")


def test_E1_length_counts_code_points_between_1_and_256() -> None:
    assert not is_valid_topic("")
    assert is_valid_topic("x")
    assert is_valid_topic("😀" * MAX_TOPIC_LENGTH)
    assert not is_valid_topic("😀" * (MAX_TOPIC_LENGTH + 1))


def test_E1_check_topic_cites_the_rule() -> None:
    assert check_topic("run:r1:events") == "run:r1:events"
    with pytest.raises(InvalidTopicError, match="E1"):
        check_topic("has space")
