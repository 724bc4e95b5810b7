"""SpacetimeDB's program hash: how the server names the module bytes it holds.

SpacetimeDB 1.2 hashes a published module with Keccak-256 (``spacetimedb_sats::hash``,
the original Keccak padding, not NIST SHA3-256, so ``hashlib.sha3_256`` does not match
and OpenSSL 3.0 has no Keccak; pycryptodome provides it). ``GET /v1/database/<name>``
reports it as ``initial_program``, serialized as a u256: the digest's bytes read
little-endian, written as ``0x`` hex without leading zeros. Both directions live here,
so the comparison with what the harness sent is of one canonical spelling: the 64 hex
digits of the digest in byte order, as the server's ``Hash::to_hex`` prints it.

Seen live (1.2.0): the reference wasm with Keccak-256 ``02603f33...bff7e494`` is reported
as ``"initial_program": "0x94e4f7bf...333f6002"``; SHA-256 and SHA3-256 of the bytes match
neither. The system table ``st_module`` has the same value in ``program_hash``.
"""

from __future__ import annotations

from Crypto.Hash import keccak

from harness.spacetime.errors import ProtocolError
from harness.spacetime.sats import JsonValue

_HASH_BYTES = 32


def program_hash(wasm: bytes) -> str:
    """The hash SpacetimeDB computes for `wasm`: Keccak-256, 64 lowercase hex digits."""
    return keccak.new(data=wasm, digest_bits=256).hexdigest()


def parse_program_hash(value: JsonValue) -> str:
    """The server's spelling of a program hash, as 64 hex digits in byte order.

    Accepts the u256 forms (a ``0x`` string, as 1.2 writes it, or a JSON number), which
    hold the digest little-endian, and a bare 64-digit hex string, which is already the
    digest in byte order (``Hash::to_hex``).
    """
    if isinstance(value, str) and len(value) == 2 * _HASH_BYTES and not value.startswith("0x"):
        try:
            return bytes.fromhex(value).hex()
        except ValueError as exc:
            raise ProtocolError(f"not a program hash: {value!r}") from exc
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError(f"not a program hash: {value!r}")
    try:
        number = value if isinstance(value, int) else int(value.removeprefix("0x"), 16)
        return number.to_bytes(_HASH_BYTES, "little").hex()
    except (ValueError, OverflowError) as exc:
        raise ProtocolError(f"not a program hash: {value!r}") from exc
