"""How the publisher delivers: call timeout, retry backoff, and which mutant (if any) it is.

Bounded exponential backoff (B3): a stream whose module is down retries quickly at first and
then at most every `backoff_max_s`, so it neither hammers a recovering server nor waits long
after it is back. Acknowledged heads are recorded in groups (see `committer`), at most
every `progress_interval_s`, or sooner once `progress_batch` of them wait. Tests shrink
these numbers to stay fast. `mutant` names a deliberately
broken variant (see `mutants`); "" is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from stub.runtime.mutants import check_mutant


@dataclass(frozen=True, slots=True)
class PublisherSettings:
    backoff_initial_s: float = 0.05
    backoff_max_s: float = 2.0
    call_timeout_s: float = 10.0
    progress_interval_s: float = 0.05
    progress_batch: int = 200
    mutant: str = ""

    def __post_init__(self) -> None:
        """An unknown mutant fails at start-up, not as a reference run under its name."""
        check_mutant(self.mutant)

    def retry_delay(self, failures: int) -> float:
        """The pause after the `failures`-th consecutive transient failure (1, 2, ...)."""
        return min(self.backoff_initial_s * 2.0 ** min(failures - 1, 32), self.backoff_max_s)
