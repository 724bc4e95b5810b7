"""SpacetimeDB's program hash: Keccak-256 of the wasm, reported as a little-endian u256."""

from __future__ import annotations

import hashlib

import pytest

from harness.spacetime.errors import ProtocolError
from harness.spacetime.program_hash import parse_program_hash, program_hash

# Keccak-256 of the empty string: the well-known Ethereum constant.
EMPTY_KECCAK = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_program_hash_is_keccak_not_sha3() -> None:
    assert program_hash(b"") == EMPTY_KECCAK
    assert program_hash(b"") != hashlib.sha3_256(b"").hexdigest()


def test_the_u256_spelling_is_the_digest_read_little_endian() -> None:
    digest = program_hash(b"\0asm\1\0\0\0")
    as_u256 = "0x" + f"{int.from_bytes(bytes.fromhex(digest), 'little'):x}"

    assert parse_program_hash(as_u256) == digest
    assert parse_program_hash(int(as_u256, 16)) == digest


def test_leading_zeros_of_the_u256_are_dropped_by_the_server() -> None:
    # A digest ending in a zero byte is a u256 whose hex has fewer than 64 digits.
    digest = "ab" * 31 + "00"
    number = int.from_bytes(bytes.fromhex(digest), "little")

    assert parse_program_hash(f"0x{number:x}") == digest
    assert len(f"{number:x}") == 62


def test_bare_hex_is_already_in_byte_order() -> None:
    assert parse_program_hash(EMPTY_KECCAK.upper()) == EMPTY_KECCAK


@pytest.mark.parametrize("value", ["0xzz", "0x" + "f" * 65, "", None, True, [1], -1])
def test_anything_else_is_a_protocol_error(value: object) -> None:
    with pytest.raises(ProtocolError):
        parse_program_hash(value)  # type: ignore[arg-type]
