"""What a reducer call did, as the oracle predicts it.

The real module only says "success" or "error <text>"; the oracle also says whether a
success changed nothing and why, so that a checker can explain a diff ("this was a
duplicate, the row must not move") instead of only reporting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from harness.model.rows import SyncEventRow

NoopReason = Literal["duplicate", "compacted", "already_compacted"]


class Status(StrEnum):
    """ok: the call changed state (or, for resume, answered); noop: success, no change."""

    OK = "ok"
    NOOP = "noop"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One call's result: `detail` is the exact error text, or the reason for a noop;
    `gap` is what a successful resume must deliver (R2)."""

    status: Status
    detail: str = ""
    gap: tuple[SyncEventRow, ...] = ()

    @property
    def succeeded(self) -> bool:
        """Whether the real module answers success (a noop is a success, M1 steps 3-4)."""
        return self.status is not Status.ERROR

    @property
    def error(self) -> str | None:
        """The module's error text, or None on success."""
        return self.detail if self.status is Status.ERROR else None


def applied(gap: tuple[SyncEventRow, ...] = ()) -> Outcome:
    """A success that changed state, or a resume with its gap."""
    return Outcome(Status.OK, gap=gap)


def unchanged(reason: NoopReason) -> Outcome:
    """A success that changed nothing."""
    return Outcome(Status.NOOP, detail=reason)


def failed(text: str) -> Outcome:
    """An error with the module's exact text; nothing changed (M2)."""
    return Outcome(Status.ERROR, detail=text)
