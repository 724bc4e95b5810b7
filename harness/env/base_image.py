"""The base image every harness image starts from, made without any registry.

debootstrap writes a minimal Debian of the host's own release into a folder (so a
binary compiled on the host finds the same glibc), the folder is packed into a tar
kept in the cache, and `docker import` turns that tar into an image. If the image is
deleted, the cached tar brings it back in seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from harness.env.apt_sources import host_suite, mirror_for
from harness.env.cache import cache_root, logs_dir
from harness.env.progress import run_logged, say
from harness.errors import BuildFailed

# Bump RECIPE when BASE_PACKAGES changes, so cached tars and images are rebuilt.
RECIPE = "1"
BASE_PACKAGES = ("ca-certificates", "python3", "tini")
IMAGE_REPOSITORY = "stdb-harness/base"
HARNESS_LABEL = "stdb-harness"


def base_image_tag() -> str:
    """`stdb-harness/base:<suite>-<recipe>`: one tag per Debian release and recipe."""
    return f"{IMAGE_REPOSITORY}:{host_suite()}-{RECIPE}"


def _rootfs_tar() -> Path:
    return cache_root() / "base" / f"rootfs-{host_suite()}-{RECIPE}.tar"


def _debootstrap_to_tar(tar_path: Path) -> None:
    """Bootstrap into a temporary folder and pack it; the tar only appears when complete."""
    if shutil.which("debootstrap") is None:
        raise BuildFailed("debootstrap is not installed",
                          "apt-get install -y debootstrap (bash .ci/run does it)")
    suite = host_suite()
    tar_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stdb-rootfs-", dir=tar_path.parent) as work:
        rootfs = Path(work) / "rootfs"
        run_logged(
            "base image: debootstrap",
            ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
             suite, str(rootfs), mirror_for(suite)],
            logs_dir() / "debootstrap.log",
        )
        partial = tar_path.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."],
                       check=True)
        partial.rename(tar_path)


def ensure_base_image(client: docker.DockerClient) -> str:
    """Build the base image if it is missing and return its tag."""
    tag = base_image_tag()
    try:
        client.images.get(tag)
        say(f"base image {tag}: present")
        return tag
    except ImageNotFound:
        pass
    tar_path = _rootfs_tar()
    if not tar_path.exists():
        _debootstrap_to_tar(tar_path)
    say(f"base image {tag}: importing {tar_path.name}")
    repository, _, version = tag.partition(":")
    with tar_path.open("rb") as data:
        client.api.import_image_from_data(
            data, repository=repository, tag=version,
            changes=[f"LABEL {HARNESS_LABEL}=base",
                     "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        )
    client.images.get(tag)
    return tag
