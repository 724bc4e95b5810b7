"""Content hashes that name images, so a changed input means a new tag and a rebuild.

Tags are compared, never timestamps: a fresh clone has new mtimes but the same
content, and must reuse what the cache already holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def files_digest(paths: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """A short digest over file names and contents plus any extra strings."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:12]


def tree_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Source files under `root` with one of `suffixes`, caches excluded."""
    return sorted(
        path for path in root.rglob("*")
        if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts
    )
