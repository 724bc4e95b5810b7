"""The one way the harness builds an image: skip it when the tag exists, else build a
context folder that the caller fills, with the classic builder (no network needed).

Each image's Dockerfile and scripts are package data in `images/<role>/` next to this
module, so an installed harness builds from its own copy, never from a checkout.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import docker
from docker.errors import BuildError, ImageNotFound

from harness.env.base_image import HARNESS_LABEL
from harness.env.progress import say
from harness.errors import BuildFailed

IMAGES = Path(__file__).resolve().parent / "images"


def image_folder(role: str) -> Path:
    """The build files (Dockerfile, scripts) of the `role` image."""
    return IMAGES / role


def copy_context(files: Mapping[str, Path], context: Path) -> None:
    """Copy each source to its place in the build context (modes kept)."""
    for destination, source in files.items():
        target = context / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def build_if_missing(client: docker.DockerClient, tag: str, base: str, role: str,
                     fill_context: Callable[[Path], None]) -> str:
    """Return `tag`, building it first (from `base`) when it is not there yet."""
    try:
        client.images.get(tag)
        say(f"{role} image {tag}: present")
        return tag
    except ImageNotFound:
        pass
    say(f"{role} image {tag}: building")
    with tempfile.TemporaryDirectory(prefix=f"stdb-{role}-") as context:
        fill_context(Path(context))
        try:
            client.images.build(path=context, tag=tag, buildargs={"BASE_IMAGE": base}, rm=True,
                                labels={HARNESS_LABEL: role})
        except BuildError as exc:
            raise BuildFailed(f"building {tag} failed: {exc.msg}",
                              f"check {image_folder(role) / 'Dockerfile'}") from exc
    return tag
