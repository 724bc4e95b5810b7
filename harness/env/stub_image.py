"""The image of the stub services (runtime with publisher, control token routes).

They are Python programs that need only the standard library, protobuf and the `stub`
package of this repository; they import nothing of the harness that judges them, so the
image holds none of it. The sources are taken from wherever `stub` is installed (a
checkout or an installed wheel), the Dockerfile from the harness's package data.
protobuf is installed on the host into a cached folder with pip (the container has
no network) and copied in with the sources. The tag is a digest of all of it, so an
edited stub means a new image and an unchanged one is reused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import docker

from harness.env.base_image import ensure_base_image
from harness.env.cache import cache_root
from harness.env.image_build import build_if_missing, copy_context, image_folder
from harness.env.progress import say
from harness.env.recipe import context_digest, tree_files
from harness.errors import BuildFailed

IMAGE_REPOSITORY = "stdb-harness/stub"
SOURCE_SUFFIXES = (".py", ".proto", ".pyi")
# The one stub module that imports the harness (the adapters the harness loads on the host);
# nothing in the container runs it, so the image leaves it out.
HARNESS_GLUE = frozenset({"adapters.py"})


def _stub_dir() -> Path:
    """Where the `stub` package is installed, found without importing it: the harness
    builds the stubs' image but never runs their code itself."""
    spec = find_spec("stub")
    if spec is None or not spec.submodule_search_locations:
        raise BuildFailed("the stub package is not installed",
                          "install stdb-harness (it ships the stub services)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _source_files() -> dict[str, Path]:
    """`app/<package path>` in the context → the installed source file."""
    stub_dir = _stub_dir()
    sources: dict[str, Path] = {}
    for path in tree_files(stub_dir, SOURCE_SUFFIXES):
        relative = path.relative_to(stub_dir).as_posix()
        if relative not in HARNESS_GLUE:
            sources[f"app/stub/{relative}"] = path
    return sources


def _site_packages() -> Path:
    """protobuf for the container's Python, installed once per protobuf version."""
    pinned = f"protobuf=={version('protobuf')}"
    target = cache_root() / "stub-site-packages" / pinned.replace("==", "-")
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        say(f"stub image: installing {pinned} for the container")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:",
             "--target", str(partial), pinned],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise BuildFailed(f"pip could not install {pinned}: {result.stderr[-2000:]}",
                              "check that the Python package index is reachable")
        partial.rename(target)
    return target


def ensure_stub_image(client: docker.DockerClient) -> str:
    """Build the stub image if its sources, protobuf version or base changed."""
    base = ensure_base_image(client)
    site_packages = _site_packages()
    files = {"Dockerfile": image_folder("stub") / "Dockerfile", **_source_files()}
    recipe = context_digest(files, extra=[base, site_packages.name])
    tag = f"{IMAGE_REPOSITORY}:{recipe}"

    def fill(context: Path) -> None:
        copy_context(files, context)
        shutil.copytree(site_packages, context / "site-packages")

    return build_if_missing(client, tag, base, "stub", fill)
