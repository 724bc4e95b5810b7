"""`--shard i/n`: a disjoint, deterministic share of the collected items for one CI job.

An item belongs to shard `sha256(node id) mod n` (numbered from 1), so the n shards of a
run cover every item exactly once, each job computes the same split without talking to
the others, and adding or removing a test moves only that test, never reshuffles the rest.
Curated scenarios and generated properties are separate items, so both spread.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from harness.errors import HarnessError

_SHAPE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1..total
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def owns(self, nodeid: str) -> bool:
        return shard_of(nodeid, self.total) == self.index


def shard_of(nodeid: str, total: int) -> int:
    """The shard (1..total) that runs the item with this node id."""
    digest = hashlib.sha256(nodeid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def parse_shard(text: str) -> Shard:
    """`i/n` with 1 <= i <= n; anything else is a HarnessError that says what to pass."""
    match = _SHAPE.match(text)
    hint = "pass --shard i/n with 1 <= i <= n, e.g. --shard 1/4 ... --shard 4/4"
    if match is None:
        raise HarnessError(f"bad --shard {text!r}: not of the form i/n", hint)
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or not 1 <= index <= total:
        raise HarnessError(f"bad --shard {text!r}: shard {index} of {total} does not exist",
                           hint)
    return Shard(index, total)
