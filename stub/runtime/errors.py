"""The runtime's failures, each with the HTTP status and stable code the API answers with.

Kept in one place so that the journal, the publisher's controls and the HTTP layer refuse
with the same codes: a test or the harness's runtime client matches on `code`, never on the
human message.
"""

from __future__ import annotations

from typing import Literal

RefusalCode = Literal[
    "invalid_request",
    "invalid_topic",
    "unknown_kind",
    "invalid_json",
    "payload_not_object",
    "invalid_payload",
    "payload_too_large",
    "unsupported_number",
    "seq_not_allowed",
    "invalid_published_at",
    "invalid_stream_id",
    "invalid_target",
    "not_found",
    "method_not_allowed",
    "request_too_large",
]


class RefusedError(ValueError):
    """A request the runtime will not act on; nothing was journaled or changed."""

    def __init__(self, code: RefusalCode, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code: RefusalCode = code
        self.message = message
        self.status = status


class StateError(RuntimeError):
    """The data directory holds something no crash can have produced (a corrupt record,
    a gap in a topic's seqs, progress past the journal): starting would hide the damage."""


class CrashedError(RuntimeError):
    """The in-process runtime simulated a crash; it serves nothing until it is restarted."""


class SimulatedCrash(BaseException):
    """Unwinds a delivery worker at an injected in-process crash. A BaseException, so no
    `except Exception` on the way can swallow it and carry on as if nothing happened."""
