"""Files that survive a crash: fsync'd appends and atomic whole-file replacement.

An acknowledgement must never outrun the disk (E3, B5): every write here returns only after
its data, and for new or renamed files the directory entry too, has been fsync'd.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (files created, renamed or removed) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path) -> None:
    """Create `path` (and parents) and make its entry durable in its parent."""
    path.mkdir(parents=True, exist_ok=True)
    fsync_dir(path.parent)


def replace_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a crash leaves the old or the new content,
    never a mix (the temporary file left behind is overwritten by the next write)."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_dir(path.parent)


def replace_json(path: Path, value: Any) -> None:
    """`replace_file` with the JSON text of `value`."""
    replace_file(path, json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def read_json(path: Path) -> Any:
    """The JSON value in `path`, or None when there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return json.loads(data)


class AppendFile:
    """An append-only file whose `append` returns once the bytes are on disk. A failed
    append is cut off again, so the next record never lands after half of this one."""

    def __init__(self, path: Path) -> None:
        existed = path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = os.fstat(self._fd).st_size
        if not existed:
            fsync_dir(path.parent)

    def append(self, data: bytes) -> None:
        try:
            _write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)

    def close(self) -> None:
        os.close(self._fd)


def truncate(path: Path, size: int) -> None:
    """Cut `path` to `size` bytes, durably (drops a torn record left by a crash)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
