"""HS256 JSON Web Tokens (RFC 7519 over RFC 7515 compact serialization), signing only.

The service runs where only the standard library is installed, so it cannot use PyJWT; the
harness verifies what we mint with PyJWT, which keeps this small encoder honest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

# RFC 7518 §3.2: an HMAC-SHA-256 key must be at least as long as the hash output.
MIN_KEY_BYTES = 32


def _b64url(data: bytes) -> str:
    """Base64url without padding, as JWS requires (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: Mapping[str, object]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def encode(claims: Mapping[str, object], key: bytes, kid: str) -> str:
    """Sign `claims` with `key`; the header names the key id so verifiers can rotate keys."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"HS256 signing key must be at least {MIN_KEY_BYTES} bytes")
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"
