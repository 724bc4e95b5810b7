"""What one operation on a target answered, in the contract's words (the sides of a target,
harness.targets.sides, answer with these)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReplyStatus(StrEnum):
    """Jepsen's three outcomes: it happened, it did not, or nobody can tell."""

    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True)
class Reply:
    """What one operation answered; `error` is the contract's error text on FAIL."""

    status: ReplyStatus
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is ReplyStatus.OK


OK = Reply(ReplyStatus.OK)
