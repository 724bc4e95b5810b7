"""Compile a SpacetimeDB module (a Rust crate) to wasm32.

The rustup toolchain here may lack the wasm32 target and rustup cannot download one,
so when the target is missing the build falls back to Debian's rustc-web toolchain,
which compiles the standard library for wasm32 itself (`-Zbuild-std`). Cargo's own
incremental build is the cache: an unchanged crate rebuilds in about a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.env.cache import logs_dir, module_target_dir
from harness.env.progress import run_logged
from harness.errors import BuildFailed

WASM_TARGET = "wasm32-unknown-unknown"
DEBIAN_RUSTC = Path("/usr/bin/rustc")
DEBIAN_CARGO = Path("/usr/bin/cargo")


def _rustup_has_wasm_target() -> bool:
    if shutil.which("rustup") is None:
        return False
    listed = subprocess.run(["rustup", "target", "list", "--installed"],
                            capture_output=True, text=True, check=False)
    return WASM_TARGET in listed.stdout.split()


def _build_command(features: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The cargo invocation and environment for whichever toolchain can target wasm32."""
    feature_args = ["--features", ",".join(features)] if features else []
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    if _rustup_has_wasm_target():
        return ["cargo", "build", "--release", "--target", WASM_TARGET, *feature_args], env
    if not (DEBIAN_RUSTC.exists() and DEBIAN_CARGO.exists()):
        raise BuildFailed(
            "no Rust toolchain here can target wasm32-unknown-unknown",
            "apt-get install -y rustc-web cargo-web rust-web-src lld lld-22 "
            "(bash .ci/run does it), or `rustup target add wasm32-unknown-unknown`",
        )
    env |= {
        "RUSTC_BOOTSTRAP": "1",
        "RUSTC": str(DEBIAN_RUSTC),
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER": "wasm-ld",
    }
    argv = [str(DEBIAN_CARGO), "build", "--release", "--target", WASM_TARGET,
            "-Zbuild-std=std,panic_abort", *feature_args]
    return argv, env


def _package_name(crate: Path) -> str:
    for line in (crate / "Cargo.toml").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "name":
            return value.strip().strip('"')
    raise BuildFailed(f"{crate}/Cargo.toml has no package name", "fix the crate manifest")


def build_module(crate: Path, features: Sequence[str] = ()) -> Path:
    """Build `crate` for wasm32 and return the .wasm path.

    Each feature set gets its own target directory, so switching between the
    reference module and a mutant never forces a rebuild of the other.
    """
    if not (crate / "Cargo.toml").is_file():
        raise BuildFailed(f"{crate} is not a Rust crate (no Cargo.toml)",
                          "pass the folder of a SpacetimeDB module crate")
    flavour = "-".join(features) or "default"
    target_dir = module_target_dir() / flavour
    argv, env = _build_command(features)
    env["CARGO_TARGET_DIR"] = str(target_dir)
    run_logged(f"module {crate.name} [{flavour}]: cargo build", argv,
               logs_dir() / f"module-{crate.name}-{flavour}.log", env=env, cwd=crate)
    wasm = target_dir / WASM_TARGET / "release" / f"{_package_name(crate).replace('-', '_')}.wasm"
    if not wasm.is_file():
        raise BuildFailed(f"cargo finished but {wasm} does not exist",
                          "check that the crate has crate-type = [\"cdylib\"]")
    return wasm
