"""Compile a SpacetimeDB module (a Rust crate) to wasm32.

The rustup toolchain here may lack the wasm32 target and rustup cannot download one,
so when the target is missing the build falls back to Debian's rustc-web toolchain,
which compiles the standard library for wasm32 itself (`-Zbuild-std`). Cargo's own
incremental build is the cache: an unchanged crate rebuilds in about a second, and a
switch of features recompiles only the crate itself, because every feature set of a
crate shares one target directory (std and the dependencies are built once).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.env.built_module import BuiltModule
from harness.env.cache import logs_dir, module_targets_root, wasm_cache_root
from harness.env.module_keys import features_label, module_paths, normalized_features
from harness.env.progress import run_logged
from harness.errors import BuildFailed

WASM_TARGET = "wasm32-unknown-unknown"
DEBIAN_RUSTC = Path("/usr/bin/rustc")
DEBIAN_CARGO = Path("/usr/bin/cargo")
# How much of a compiler's report a failed build shows (the whole of it is in the log).
COMPILER_LINES = 60


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


def _wasm_file_name(crate: Path) -> str:
    """The file cargo writes for the crate's cdylib: the lib name, else the package name."""
    try:
        manifest = tomllib.loads((crate / "Cargo.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildFailed(f"{crate}/Cargo.toml cannot be read: {exc}",
                          "fix the crate manifest") from exc
    lib, package = manifest.get("lib", {}), manifest.get("package", {})
    name = lib.get("name") if isinstance(lib, dict) else None
    if not isinstance(name, str):
        name = package.get("name") if isinstance(package, dict) else None
    if not isinstance(name, str):
        raise BuildFailed(f"{crate}/Cargo.toml has no package name", "fix the crate manifest")
    return f"{name.replace('-', '_')}.wasm"


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (blocking) for the duration of the block.

    cargo locks its target directory only while it runs; between its end and our copy
    another build of the same crate (say a mutant, from a parallel run) could overwrite
    the output. Holding our own lock across build and copy closes that window.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_out(built: Path, destination: Path) -> bytes:
    """Copy `built` to `destination` atomically and return the bytes copied.

    A reader of `destination` (another run publishing the same crate and features) sees
    either the old file or the new one, never half of one.
    """
    wasm = built.read_bytes()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    partial.write_bytes(wasm)
    os.replace(partial, destination)
    return wasm


def _compiler_errors(message: str, log_file: Path) -> str:
    """A failed build's message with the compiler's own report, read from the full log from
    its first `error` line on, instead of the log's last lines (mostly cargo's `Compiling
    ...` lines when a crate fails early)."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return message
    first = next((i for i, line in enumerate(lines) if line.startswith("error")), None)
    if first is None:
        return message
    shown = lines[first:first + COMPILER_LINES]
    more = len(lines) - first - len(shown)
    return "\n".join([message.partition("\n")[0], *shown,
                      *([f"... {more} more lines in the log"] if more > 0 else [])])


def build_module(crate: Path, features: Sequence[str] = ()) -> BuiltModule:
    """Build `crate` for wasm32 with `features` and return the built module.

    The cargo target directory belongs to this crate path alone and is shared by all
    its feature sets (std and dependencies compile once); the returned path is a copy
    of the wasm kept per crate path and feature set (see `harness.env.module_keys`).
    """
    if not (crate / "Cargo.toml").is_file():
        raise BuildFailed(f"{crate} is not a Rust crate (no Cargo.toml)",
                          "pass the folder of a SpacetimeDB module crate")
    crate = crate.resolve()
    wanted = normalized_features(features)
    paths = module_paths(crate, wanted, module_targets_root(), wasm_cache_root(), logs_dir())
    argv, env = _build_command(wanted)
    env["CARGO_TARGET_DIR"] = str(paths.target_dir)
    built = paths.target_dir / WASM_TARGET / "release" / _wasm_file_name(crate)
    label = features_label(wanted)
    with _exclusive(paths.lock_file):
        try:
            run_logged(f"module {crate.name} [{label}]: cargo build", argv, paths.log_file,
                       env=env, cwd=crate)
        except BuildFailed as exc:
            raise BuildFailed(_compiler_errors(exc.message, paths.log_file), exc.hint) from exc
        if not built.is_file():
            raise BuildFailed(f"cargo finished but {built} does not exist",
                              "check that the crate has crate-type = [\"cdylib\"]")
        wasm = _copy_out(built, paths.wasm_copy)
    return BuiltModule.from_bytes(paths.wasm_copy, wasm, crate, wanted)
