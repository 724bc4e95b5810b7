"""`--shard i/n` (pytest: `--stdb-shard`): a disjoint, stable share of the items for a CI job.

Items are ordered by `sha256(node id)` within their kind (generated properties, which
are few and long, and everything else), and each kind's order is cut into n contiguous
blocks of equal size (within one): block i is shard i. So the n shards of a run cover
every item exactly once, each job computes the same split from the same collection
without talking to the others, both kinds spread evenly over the shards, and adding or
removing a test moves only the items next to the n-1 cuts of its kind (at most n-1 of
them), never reshuffles the rest, unlike a plain `hash mod n`, which is as stable but
can put all six generated properties of this suite on one of two shards.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import HarnessError

_SHAPE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1..total
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def keep(self, items: Iterable[tuple[str, str]]) -> set[str]:
        """The node ids of this shard among `(kind, node id)` pairs."""
        return {nodeid for nodeid, shard in assign(items, self.total).items()
                if shard == self.index}


def _key(nodeid: str) -> bytes:
    return hashlib.sha256(nodeid.encode("utf-8")).digest()


def assign(items: Iterable[tuple[str, str]], total: int) -> dict[str, int]:
    """Node id -> its shard (1..total), for `(kind, node id)` pairs."""
    kinds: dict[str, list[str]] = {}
    for kind, nodeid in items:
        kinds.setdefault(kind, []).append(nodeid)
    shards: dict[str, int] = {}
    for nodeids in kinds.values():
        ordered = sorted(set(nodeids), key=_key)
        for rank, nodeid in enumerate(ordered):
            shards[nodeid] = rank * total // len(ordered) + 1
    return shards


def parse_shard(text: str, option: str = "--shard") -> Shard:
    """`i/n` with 1 <= i <= n; anything else is a HarnessError that says what to pass
    (`option`: the option's name where it was given, the CLI's or the pytest plugin's)."""
    match = _SHAPE.match(text)
    hint = f"pass {option} i/n with 1 <= i <= n, e.g. {option} 1/4 ... {option} 4/4"
    if match is None:
        raise HarnessError(f"bad {option} {text!r}: not of the form i/n", hint)
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or not 1 <= index <= total:
        raise HarnessError(f"bad {option} {text!r}: shard {index} of {total} does not exist",
                           hint)
    return Shard(index, total)
