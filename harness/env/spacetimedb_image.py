"""The SpacetimeDB server image: a host-compiled binary copied onto the base image.

`cargo install` compiles SpacetimeDB 1.2.0 (the newest server on the crate registry)
into the cache once; `--target-dir` in the cache lets an interrupted compile resume
instead of starting over. The image build itself copies files only.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import docker

from harness.env.base_image import ensure_base_image
from harness.env.cache import SPACETIMEDB_VERSION, cache_root, logs_dir, spacetimedb_binary
from harness.env.image_build import build_if_missing, copy_context, image_folder
from harness.env.progress import run_logged, say
from harness.env.recipe import context_digest
from harness.errors import BuildFailed

IMAGE_REPOSITORY = "stdb-harness/spacetimedb"

# The server's own release profile spends most of a cold compile in link-time optimisation
# over one codegen unit; a test server gains nothing from that, so LTO is off and the crates
# are split into many units (the suite passes against a server built this way).
FAST_RELEASE_PROFILE = {
    "CARGO_PROFILE_RELEASE_LTO": "off",
    "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
    "CARGO_PROFILE_RELEASE_DEBUG": "0",
    "CARGO_PROFILE_RELEASE_INCREMENTAL": "false",
}


def ensure_spacetimedb_binary() -> Path:
    """Compile the pinned server with cargo unless the cache already holds it."""
    binary = spacetimedb_binary()
    if binary.exists():
        say(f"spacetimedb {SPACETIMEDB_VERSION} binary: present")
        return binary
    cargo = shutil.which("cargo")
    if cargo is None:
        raise BuildFailed("cargo is not installed", "install a Rust toolchain (rustup)")
    run_logged(
        f"spacetimedb {SPACETIMEDB_VERSION}: cargo install (about 10-15 min cold on 2 cores)",
        [cargo, "install", "spacetimedb-standalone", "--version", SPACETIMEDB_VERSION, "--locked",
         "--root", str(binary.parent.parent),
         "--target-dir", str(cache_root() / "cargo-target" / "spacetimedb")],
        logs_dir() / "spacetimedb-build.log",
        env={**os.environ, "CARGO_TERM_COLOR": "never", **FAST_RELEASE_PROFILE},
    )
    return binary


START_SCRIPT = "start-spacetimedb"


def _context_files(binary: Path) -> dict[str, Path]:
    """The build context: Dockerfile and start script (package data), and the binary."""
    folder = image_folder("spacetimedb")
    return {"Dockerfile": folder / "Dockerfile", START_SCRIPT: folder / START_SCRIPT,
            binary.name: binary}


def ensure_spacetimedb_image(client: docker.DockerClient) -> str:
    """Build the server image if its recipe (base, binary, Dockerfile) changed."""
    base = ensure_base_image(client)
    binary = ensure_spacetimedb_binary()
    files = _context_files(binary)
    recipe = context_digest(files, extra=[base])
    tag = f"{IMAGE_REPOSITORY}:{SPACETIMEDB_VERSION}-{recipe}"

    def fill(context: Path) -> None:
        copy_context(files, context)
        # the image runs the script directly: executable whatever mode the install gave it
        (context / START_SCRIPT).chmod(0o755)

    return build_if_missing(client, tag, base, "spacetimedb", fill)
