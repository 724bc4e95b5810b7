"""The record of a run, written before anything is judged (Jepsen style).

Every operation the harness performs is an `invoke` entry followed by its completion:
`ok` (it happened), `fail` (it certainly did not) or `info` (nobody can tell: a timeout
after the request was sent). Checkers read only this, the scenario and the observed
snapshots, so they can run again on stored artefacts without any container.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class EntryType(StrEnum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True)
class Entry:
    """One line of history. `index` links a completion to the invoke of the same op."""

    index: int
    type: EntryType
    process: str
    op: str
    value: Any = None
    error: str | None = None
    time_ms: float = 0.0


@dataclass
class History:
    """An append-only list of entries plus the snapshots observed along the way."""

    entries: list[Entry] = field(default_factory=list)
    snapshots: dict[str, Any] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic, repr=False)
    _next_index: int = field(default=0, repr=False)

    def _now_ms(self) -> float:
        return round((time.monotonic() - self._started) * 1000, 3)

    def invoke(self, process: str, op: str, value: Any = None) -> int:
        """Record that `process` starts `op`; returns the index its completion must cite."""
        index = self._next_index
        self._next_index += 1
        entry = Entry(index, EntryType.INVOKE, process, op, value, None, self._now_ms())
        self.entries.append(entry)
        return index

    def complete(self, index: int, type_: EntryType, value: Any = None,
                 error: str | None = None) -> None:
        """Record the completion of invoke `index`; it keeps the invoke's value unless
        given a new one, so every completion says which step it completes."""
        invoked = next(e for e in self.entries if e.index == index and e.type is EntryType.INVOKE)
        self.entries.append(Entry(index, type_, invoked.process, invoked.op,
                                  invoked.value if value is None else value, error,
                                  self._now_ms()))

    def completions(self) -> list[Entry]:
        """The non-invoke entries in the order they completed."""
        return [e for e in self.entries if e.type is not EntryType.INVOKE]

    def to_json(self) -> dict[str, Any]:
        return {"entries": [asdict(e) for e in self.entries], "snapshots": self.snapshots}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        history = cls()
        for raw in data["entries"]:
            history.entries.append(Entry(**{**raw, "type": EntryType(raw["type"])}))
        history.snapshots = dict(data.get("snapshots", {}))
        history._next_index = 1 + max((e.index for e in history.entries), default=-1)
        return history

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
