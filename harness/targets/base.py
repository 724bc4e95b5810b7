"""The contract's abstract operations, which every target implements.

Checkers and scenarios speak only these verbs, in the contract's own names
(CONTRACT.md §3-§7). A target adapter translates them to one concrete system: the
reference module, a user's module with other reducer and table names, or a mutant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from harness.contract.events import ApplyEventArgs
from harness.contract.snapshot import Snapshot


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


class ModuleTarget(Protocol):
    """The module side of the contract: M1-M6 and R1-R3 as calls, G1 as a snapshot.

    `client` names a client identity (a token the target keeps per name), because M6
    and R1 are keyed by the caller.
    """

    def apply(self, args: ApplyEventArgs) -> Reply: ...

    def compact(self, stream_id: str, through_seq: int) -> Reply: ...

    def resume(self, client: str, stream_id: str, after_seq: int, replay_budget: int) -> Reply: ...

    def ack(self, client: str, stream_id: str, last_applied_seq: int) -> Reply: ...

    def call_as(self, client: str, operation: str, args: list[object]) -> Reply: ...

    def snapshot(self) -> Snapshot: ...
