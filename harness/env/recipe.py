"""Content hashes that name images, so a changed input means a new tag and a rebuild.

Tags are compared, never timestamps: a fresh clone has new mtimes but the same
content, and must reuse what the cache already holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath


def context_digest(files: Mapping[str, Path], extra: Iterable[str] = ()) -> str:
    """A short digest of a build context: `files` maps each file's place in the context
    (`app/stub/__init__.py`) to where it is read from, plus any extra strings.

    Files are taken in the order of their place in the context and each contributes its
    name and content, so the digest does not depend on where the sources live (a checkout,
    an installed wheel, the cache).
    """
    digest = hashlib.sha256()
    for destination in sorted(files, key=PurePosixPath):
        digest.update(PurePosixPath(destination).name.encode())
        with files[destination].open("rb") as handle:
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
