"""HS256 JSON Web Tokens (RFC 7519, JWS compact form), written with hmac and hashlib.

Only signing is needed here: clients of the sync service verify the tokens, not the service.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def b64url(raw: bytes) -> str:
    """Base64url with the padding stripped (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _part(document: Mapping[str, Any]) -> str:
    return b64url(json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def sign(claims: Mapping[str, Any], key: bytes, kid: str) -> str:
    """`header.claims.signature`, the header naming the algorithm and the key id."""
    if not key:
        raise ValueError("an HS256 signing key must not be empty")
    head_and_body = _part({"alg": "HS256", "kid": kid, "typ": "JWT"}) + "." + _part(claims)
    mac = hmac.digest(key, head_and_body.encode("ascii"), hashlib.sha256)
    return head_and_body + "." + b64url(mac)
