"""Where build outputs live between runs.

Everything expensive (the SpacetimeDB binary, the Debian root filesystem, cargo's
target directory) is kept outside the repository so that a fresh clone, as CI makes
for every run, reuses it. `STDB_HARNESS_CACHE` moves the whole cache.
"""

from __future__ import annotations

import os
from pathlib import Path

SPACETIMEDB_VERSION = "1.2.0"


def cache_root() -> Path:
    """The cache directory, created on first use."""
    root = Path(os.environ.get("STDB_HARNESS_CACHE", Path.home() / ".cache" / "stdb-harness"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def spacetimedb_binary() -> Path:
    """The `cargo install --root` result for the pinned server version."""
    return (
        cache_root() / f"spacetimedb-{SPACETIMEDB_VERSION}" / "bin" / "spacetimedb-standalone"
    )


def logs_dir() -> Path:
    """Full logs of long build steps; the console shows only progress lines."""
    path = cache_root() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def module_targets_root() -> Path:
    """Where the per-crate cargo target directories of wasm modules live.

    One directory per crate path below it (see `harness.env.module_keys`), never one
    shared by all crates: cargo decides freshness by mtimes, so two checkouts writing
    into one target directory would hand each other's wasm back as up to date.
    """
    return cache_root() / "cargo-target" / "modules"


def wasm_cache_root() -> Path:
    """Where each built wasm is copied, per crate path and feature set.

    cargo overwrites the one output file of a crate whenever its features change, so the
    artefact a run publishes is a copy that no later build of another feature set touches.
    """
    return cache_root() / "wasm"


def repo_root() -> Path:
    """The checkout this harness runs from (the benchmarks find projectors/ there)."""
    return Path(__file__).resolve().parents[2]
