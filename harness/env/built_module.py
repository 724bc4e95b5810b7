"""A module build's result as a value: the wasm file and what it must contain.

A bare path said nothing about which crate or feature set produced it, and the file
behind it can change afterwards (another build, another checkout). The digest taken
when the build finished lets publishing check that the bytes it sends are the bytes
that were built, and lets the server's own program hash be compared with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.env.module_keys import normalized_features


@dataclass(frozen=True)
class BuiltModule:
    """A compiled SpacetimeDB module.

    `crate` is None for a wasm built elsewhere and handed to the harness as a file.
    """

    path: Path
    sha256: str  # hex digest of the wasm bytes, taken when the build finished
    crate: Path | None
    features: tuple[str, ...]

    @classmethod
    def from_bytes(
        cls, path: Path, wasm: bytes, crate: Path | None, features: Iterable[str] = ()
    ) -> BuiltModule:
        """Describe `wasm`, already written to `path`, as built from `crate`."""
        return cls(path, sha256_hex(wasm), crate, normalized_features(features))

    @classmethod
    def prebuilt(cls, path: Path) -> BuiltModule:
        """A wasm file built outside the harness (another crate, another toolchain)."""
        return cls.from_bytes(path, path.read_bytes(), crate=None)

    def describe(self) -> str:
        """`crate [features]`, for messages."""
        source = str(self.crate) if self.crate is not None else str(self.path)
        return f"{source} [{','.join(self.features) or 'default features'}]"


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()
