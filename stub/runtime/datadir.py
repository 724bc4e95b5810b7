"""The data directory: one namespace directory per reset, and a pointer to the current one.

`POST /v1/target` must wipe the journal and the publisher's progress together (each test
example gets a fresh namespace): wiping two files one after the other could leave, after a
crash in between, progress that points past an empty journal. Instead each reset creates a
new empty namespace directory and then switches `current.json` to it in one atomic rename;
the old directory is deleted afterwards, or at the next start if a crash intervened.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from stub.runtime.durable import make_dir, read_json, replace_json
from stub.runtime.errors import StateError
from stub.runtime.target import Target, target_from_json

CURRENT_FILE = "current.json"
_NAMESPACE = re.compile(r"ns-(\d+)")


@dataclass(frozen=True, slots=True)
class Namespace:
    """The live namespace: its directory (journal and progress) and where it publishes."""

    number: int
    directory: Path
    target: Target | None


class DataDir:
    """The runtime's root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self) -> Namespace:
        """The current namespace (a first, empty one for a new directory), after removing
        any namespace a crash left behind."""
        make_dir(self.root)
        recorded = read_json(self.root / CURRENT_FILE)
        if recorded is None:
            return self.reset(None)
        try:
            number, target = recorded["namespace"], target_from_json(recorded["target"])
            if not isinstance(number, int):
                raise TypeError("namespace is not an integer")
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{self.root / CURRENT_FILE}: {exc}") from None
        namespace = Namespace(number, self._directory(number), target)
        make_dir(namespace.directory)
        self._remove_others(number)
        return namespace

    def reset(self, target: Target | None) -> Namespace:
        """Switch to a new, empty namespace publishing to `target`."""
        recorded = read_json(self.root / CURRENT_FILE)
        number = recorded["namespace"] + 1 if isinstance(recorded, dict) else 1
        namespace = Namespace(number, self._directory(number), target)
        shutil.rmtree(namespace.directory, ignore_errors=True)
        make_dir(namespace.directory)
        replace_json(
            self.root / CURRENT_FILE,
            {"namespace": number, "target": None if target is None else target.to_json()},
        )
        self._remove_others(number)
        return namespace

    def _directory(self, number: int) -> Path:
        return self.root / f"ns-{number}"

    def _remove_others(self, keep: int) -> None:
        for path in self.root.iterdir():
            match = _NAMESPACE.fullmatch(path.name)
            if match is not None and int(match.group(1)) != keep:
                shutil.rmtree(path, ignore_errors=True)
