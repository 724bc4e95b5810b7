"""What a reducer call's answer means for the event: acknowledged, refused for good, or
worth another try (B3).

The module refuses an event with status 530 and an error text (M1). Some texts mean that
sending the same event again can never succeed, so the event is dead-lettered instead of
retried forever: those matching any of the target's permanent error patterns (`re.search`
on the text without surrounding whitespace; by default, a first word that is one of the
reference's four, see `target.REFERENCE_PERMANENT_ERRORS`). Any other failure may pass: no
answer, a 5xx, a 530 with another text (a trap or panic, say), 408 and 429. Other 4xx
answers (bad arguments, no such database or reducer, bad credentials) mean the server
rejected the request itself; the same request would be rejected again, so they are
permanent too, with the status in the reason.

The `permanent-retried-forever` mutant (see `mutants`) gets the 530 case wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from stub.runtime.mutants import PERMANENT_RETRIED_FOREVER
from stub.runtime.spacetime_client import CallAnswer
from stub.runtime.target import REFERENCE_PERMANENT_ERRORS

REDUCER_FAILED = 530
REFERENCE_PATTERNS: Final = tuple(re.compile(pattern) for pattern in REFERENCE_PERMANENT_ERRORS)
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


class Verdict(Enum):
    ACKNOWLEDGED = "acknowledged"
    PERMANENT = "permanent"
    TRANSIENT = "transient"


@dataclass(frozen=True, slots=True)
class Classified:
    """A verdict and, for a failure, the reason to report (the module's text verbatim)."""

    verdict: Verdict
    reason: str = ""


def classify(
    answer: CallAnswer,
    *,
    permanent: Sequence[re.Pattern[str]] = REFERENCE_PATTERNS,
    mutant: str = "",
) -> Classified:
    """The verdict on one reducer call's answer, given the module's `permanent` error
    patterns, as the publisher `mutant` ("": the reference) reaches it."""
    status, text = answer.status, answer.text.strip()
    if status is None:
        return Classified(Verdict.TRANSIENT, f"no answer: {text}")
    if 200 <= status < 300:
        return Classified(Verdict.ACKNOWLEDGED)
    if status == REDUCER_FAILED:
        is_permanent = any(pattern.search(text) for pattern in permanent)
        if mutant == PERMANENT_RETRIED_FOREVER:  # breaks B3: permanent errors retried forever
            is_permanent = False
        return Classified(Verdict.PERMANENT if is_permanent else Verdict.TRANSIENT, text)
    if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
        return Classified(Verdict.PERMANENT, f"http {status}: {text}")
    return Classified(Verdict.TRANSIENT, f"http {status}: {text}")
