"""The image of the stub services (runtime with publisher, control token routes).

They are Python programs that need only the standard library, protobuf and two
packages of this repository (`stub`, and the dependency-free `harness.contract`).
protobuf is installed on the host into a cached folder with pip (the container has
no network) and copied in with the sources. The tag is a digest of all of it, so an
edited stub means a new image and an unchanged one is reused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import docker

from harness.env.base_image import ensure_base_image
from harness.env.cache import cache_root, repo_root
from harness.env.image_build import build_if_missing
from harness.env.progress import say
from harness.env.recipe import files_digest, tree_files
from harness.errors import BuildFailed

IMAGE_REPOSITORY = "stdb-harness/stub"
SOURCE_SUFFIXES = (".py", ".proto", ".pyi")


def _source_files() -> list[Path]:
    root = repo_root()
    return [root / "harness" / "__init__.py",
            *tree_files(root / "harness" / "contract", SOURCE_SUFFIXES),
            *tree_files(root / "stub", SOURCE_SUFFIXES)]


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
    dockerfile = repo_root() / "docker" / "stub" / "Dockerfile"
    recipe = files_digest([dockerfile, *_source_files()], extra=[base, site_packages.name])
    tag = f"{IMAGE_REPOSITORY}:{recipe}"
    root = repo_root()

    def fill(context: Path) -> None:
        shutil.copy2(dockerfile, context / "Dockerfile")
        shutil.copytree(site_packages, context / "site-packages")
        for source in _source_files():
            destination = context / "app" / source.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)

    return build_if_missing(client, tag, base, "stub", fill)
