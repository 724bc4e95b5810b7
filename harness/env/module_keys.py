"""Where a module build keeps its cargo target directory and its wasm: pure path logic.

Two rules, and why:

* The cargo target directory is keyed by the crate's resolved absolute path, not its
  package name nor its feature set. Different checkouts (or different crates that happen
  to share a package name) must never share one, because cargo trusts mtimes and would
  hand one crate's wasm to the other as fresh. All feature sets of one crate do share it,
  so std (built with `-Zbuild-std`) and every dependency compile once per crate; only
  the crate itself is recompiled when the features change (cargo records the features
  in its fingerprint, so a switch is a rebuild, never a stale artefact).
* Because that shared directory holds one output file per crate, overwritten by each
  feature set in turn, each build's wasm is copied out to a path keyed by crate and
  feature set. That copy is what a run publishes.

Everything here is a pure function of its arguments, so the keying is unit-tested
without cargo.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Enough hex digits of the path's hash that two checkouts on one machine never collide.
_PATH_HASH_DIGITS = 12
# Longer feature labels are shortened (with a hash) to stay well under NAME_MAX (255).
_MAX_LABEL_CHARS = 120
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.+,-]+")
_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.+,-]+")
DEFAULT_FEATURES_LABEL = "default"


def normalized_features(features: Iterable[str]) -> tuple[str, ...]:
    """The feature set as cargo sees it: order and repetition do not change the build."""
    return tuple(sorted({feature.strip() for feature in features if feature.strip()}))


def crate_key(crate: Path) -> str:
    """A directory name unique to the crate at this path: `<folder>-<hash of the path>`.

    The folder name is there only for humans reading the cache; the hash of the resolved
    absolute path is what separates two checkouts of the same crate.
    """
    resolved = crate.resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:_PATH_HASH_DIGITS]
    readable = _UNSAFE_NAME_CHARS.sub("_", resolved.name) or "crate"
    return f"{readable}-{digest}"


def features_label(features: Iterable[str]) -> str:
    """A file-name stem for a feature set: `default`, or the sorted features joined by `,`.

    Cargo feature names cannot contain a comma, so distinct sets never share a label
    (joining with `-`, as before, made `a-b` and `a`+`b` the same). A label that is very
    long or holds other characters (`dep/feature`) is cleaned, cut and suffixed with `~`
    and a hash of the full one; `~` never appears in a plain label, so the two kinds
    cannot collide either.
    """
    normalized = normalized_features(features)
    if not normalized:
        return DEFAULT_FEATURES_LABEL
    label = ",".join(normalized)
    if _SAFE_LABEL.fullmatch(label) and len(label) <= _MAX_LABEL_CHARS:
        return label
    digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:16]
    return f"{_UNSAFE_NAME_CHARS.sub('_', label)[:_MAX_LABEL_CHARS - 17]}~{digest}"


@dataclass(frozen=True)
class ModulePaths:
    """Every path one build of (crate, features) uses."""

    target_dir: Path  # cargo's target directory, shared by all feature sets of the crate
    lock_file: Path  # held while building and copying, so two builds never interleave
    wasm_copy: Path  # the artefact handed back, one per crate and feature set
    log_file: Path  # cargo's full output


def module_paths(
    crate: Path,
    features: Iterable[str],
    targets_root: Path,
    wasm_root: Path,
    logs_root: Path,
) -> ModulePaths:
    """The paths for building `crate` with `features` under the given cache roots."""
    key = crate_key(crate)
    label = features_label(features)
    target_dir = targets_root / key
    return ModulePaths(
        target_dir=target_dir,
        lock_file=targets_root / f"{key}.lock",
        wasm_copy=wasm_root / key / f"{label}.wasm",
        log_file=logs_root / f"module-{key}-{label}.log",
    )
