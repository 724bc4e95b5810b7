"""The runtime's own JSON: the strict reading of a payload, its canonical text (E4) and the
tagged SHA-256 of that text (E5).

The runtime journals only payloads whose every number is an integer that the module's
serde_json reads back as an integer (i64 or u64). So the writer here knows no other number:
a float, or an integer outside [-2**63, 2**64-1], is a `CanonError`, never a guess at how
another program would spell it. Strings are escaped by hand: `"` and `\\`, the five short
escapes, `\\u00XX` (lowercase) for the other C0 controls, and every other character,
non-ASCII included, written as itself in UTF-8.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

SMALLEST_INT = -(1 << 63)
LARGEST_INT = (1 << 64) - 1

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
                  "\r": "\\r", "\t": "\\t"}


class CanonError(ValueError):
    """A value the runtime has no canonical text for, or text it does not read as JSON."""


def quote(text: str) -> str:
    """`text` as a JSON string literal, escaped only where JSON demands it."""
    out = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            raise CanonError(f"string {text!r} holds a lone surrogate (not UTF-8)")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _pieces(value: object) -> Iterator[str]:
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, int):
        if value < SMALLEST_INT or value > LARGEST_INT:
            raise CanonError(f"integer {value} does not fit i64 or u64")
        yield str(int(value))
    elif isinstance(value, str):
        yield quote(value)
    elif isinstance(value, Mapping):
        keys = list(value)
        if any(not isinstance(key, str) for key in keys):
            raise CanonError(f"object keys {keys!r} are not all strings")
        yield "{"
        for position, key in enumerate(sorted(keys)):
            yield ("," if position else "") + quote(key) + ":"
            yield from _pieces(value[key])
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for position, item in enumerate(value):
            if position:
                yield ","
            yield from _pieces(item)
        yield "]"
    elif isinstance(value, float):
        raise CanonError(f"number {value!r} is not an integer; the runtime journals none")
    else:
        raise CanonError(f"a {type(value).__name__} is not a JSON value")


def canonical(value: object) -> str:
    """The canonical text of `value` (E4): sorted keys, no whitespace, UTF-8 as is."""
    return "".join(_pieces(value))


def tagged_sha256(text: str) -> str:
    """`sha256:<lowercase hex>` of the UTF-8 bytes of `text` (E5)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refuse_constant(name: str) -> Any:
    raise CanonError(f"{name} is not JSON")


def read_json(text: str) -> Any:
    """JSON text as Python values, refusing what serde_json refuses and Python's json
    accepts: the NaN/Infinity literals and escaped lone surrogates."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise CanonError(f"not valid JSON: {exc}") from None
    for string in _strings(value):
        if any("\ud800" <= char <= "\udfff" for char in string):
            raise CanonError(f"string {string!r} holds a lone surrogate (not UTF-8)")
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def number_problem(value: Any) -> tuple[bool, str] | None:
    """Whether `value` holds a number the runtime cannot journal: `(True, why)` for one with
    no JSON form the module reads back (beyond i64/u64, not finite), `(False, why)` for a
    non-integer, None when every number is an integer in range."""
    fraction: str | None = None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if not SMALLEST_INT <= item <= LARGEST_INT:
                return True, f"integer {item} is outside [-2**63, 2**64-1]"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True, f"{item} is not a JSON number"
            fraction = fraction or f"number {item!r} is not an integer"
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None if fraction is None else (False, fraction)
