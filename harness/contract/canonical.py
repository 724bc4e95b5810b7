"""Canonical JSON (E4) and the `sha256:` tag (E5), as both sides of the wire must compute them.

The payload hash is computed here in Python and recomputed by the module in Rust, where
serde_json parses numbers into i64, u64 or f64. An integer outside [-2**63, 2**64-1] would
come back as a float and re-serialize differently, so the hashes would disagree for a reason
that has nothing to do with the event. Rather than hash such a value in a form only Python
agrees with, this module refuses it, along with NaN/Infinity (not JSON), non-string keys
(which json.dumps would silently stringify) and lone surrogates (not encodable as UTF-8).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from harness.contract.rules import cite

I64_MIN = -(2**63)
U64_MAX = 2**64 - 1


class CanonicalJsonError(ValueError):
    """A value with no canonical JSON form, or text that is not JSON the module would parse."""


def canonical_json(value: object) -> str:
    """The E4 canonical text of `value`: sorted keys, no spaces, UTF-8, integers as integers."""
    return json.dumps(
        _normalize(value, "$"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def sha256_tag(text: str) -> str:
    """`sha256:` + the lowercase hex SHA-256 of `text` encoded as UTF-8 (E5)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_json(text: str) -> Any:
    """Parse JSON text the way the module's strict parser does: no NaN/Infinity literals and
    no escaped lone surrogates, which Python's json accepts and serde_json refuses (E4)."""

    def _reject_constant(name: str) -> Any:
        raise CanonicalJsonError(cite("E4", f"{name} is not JSON"))

    try:
        value = json.loads(text, parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (json.JSONDecodeError, UnicodeEncodeError) as exc:
        raise CanonicalJsonError(cite("E4", f"not valid JSON: {exc}")) from None
    return value


def _normalize(value: object, path: str) -> object:
    """A plain dict/list copy of `value`, refusing what has no canonical form."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not I64_MIN <= value <= U64_MAX:
            raise CanonicalJsonError(
                cite("E4", f"{path}: integer {value} is outside [-2**63, 2**64-1]")
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJsonError(cite("E4", f"{path}: {value} is not a JSON number"))
        return value
    if isinstance(value, str):
        _check_utf8(value, path)
        return value
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError(cite("E4", f"{path}: key {key!r} is not a string"))
            _check_utf8(key, path)
            out[key] = _normalize(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_normalize(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise CanonicalJsonError(cite("E4", f"{path}: {type(value).__name__} is not a JSON value"))


def _check_utf8(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJsonError(
            cite("E4", f"{path}: string {text!r} is not encodable as UTF-8")
        ) from None
