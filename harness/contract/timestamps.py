"""`published_at` as milliseconds and as RFC 3339 text (E1, E5).

The module stores `published_at_ms` but hashes the RFC 3339 text, so both sides must print
the same instant the same way: always UTC with `Z`, always exactly three fractional digits.
Only that one spelling is parsed back, because any other spelling of the same instant would
hash differently. The range stops at the end of year 9999, the last instant RFC 3339's
four-digit year can write, and starts at the epoch, because the module stores a u64.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from harness.contract.rules import cite

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MS = 253_402_300_799_999
_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")


def format_ms(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` for `ms` milliseconds after the Unix epoch."""
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_MS:
        raise ValueError(cite("E1", f"published_at_ms {ms!r} is not in [0, {MAX_MS}]"))
    at = _EPOCH + timedelta(milliseconds=ms)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond // 1000:03d}Z"
    )


def parse_ms(text: str) -> int:
    """The milliseconds of a timestamp written exactly as `format_ms` writes it."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(cite("E1", f"{text!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ"))
    year, month, day, hour, minute, second, millis = (int(part) for part in match.groups())
    try:
        at = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(cite("E1", f"{text!r} is not a valid instant: {exc}")) from None
    ms = (at - _EPOCH) // timedelta(milliseconds=1)
    if ms < 0:
        raise ValueError(cite("E1", f"{text!r} is before the Unix epoch"))
    return ms
