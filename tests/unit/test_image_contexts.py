"""Image build contexts come from the installed packages, never from a checkout, and their
tags depend on content alone (no Docker needed: nothing here builds an image)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import harness
import stub
from harness.env import spacetimedb_image, stub_image
from harness.env.image_build import copy_context, image_folder
from harness.env.recipe import context_digest


def test_the_stub_context_is_the_dockerfile_and_the_installed_packages() -> None:
    files = {"Dockerfile": image_folder("stub") / "Dockerfile", **stub_image._source_files()}
    harness_dir = Path(harness.__file__).resolve().parent
    stub_dir = Path(stub.__file__).resolve().parent
    for wanted in ("Dockerfile", "app/harness/__init__.py", "app/harness/contract/rules.py",
                   "app/stub/proto/runtime.proto", "app/stub/runtime/__main__.py",
                   "app/stub/control/__main__.py"):
        assert wanted in files
    for destination, source in files.items():
        assert source.is_file(), destination
        if destination.startswith("app/harness/"):
            assert source.is_relative_to(harness_dir)
        elif destination.startswith("app/stub/"):
            assert source.is_relative_to(stub_dir)
    # only the contract travels with the stub, not the rest of the harness
    assert not [d for d in files if d.startswith("app/harness/env/")]


def test_the_spacetimedb_context_keeps_the_start_script_executable(tmp_path: Path) -> None:
    binary = tmp_path / "bin" / "spacetimedb-standalone"
    binary.parent.mkdir()
    binary.write_bytes(b"not really a server")
    files = spacetimedb_image._context_files(binary)
    assert sorted(files) == ["Dockerfile", "spacetimedb-standalone", "start-spacetimedb"]
    assert files["Dockerfile"].parent == image_folder("spacetimedb")
    context = tmp_path / "context"
    copy_context(files, context)
    assert os.access(context / "start-spacetimedb", os.X_OK)
    assert (context / "spacetimedb-standalone").read_bytes() == b"not really a server"


def test_a_context_digest_depends_on_content_not_on_where_files_live(tmp_path: Path) -> None:
    sources = {"Dockerfile": image_folder("stub") / "Dockerfile", **stub_image._source_files()}
    moved = {}
    for destination, source in sources.items():
        copy = tmp_path / "elsewhere" / destination
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        moved[destination] = copy
    assert context_digest(moved, ["base"]) == context_digest(sources, ["base"])
    moved["app/stub/__init__.py"].write_text("# edited\n", encoding="utf-8")
    assert context_digest(moved, ["base"]) != context_digest(sources, ["base"])
    assert context_digest(sources, ["base"]) != context_digest(sources, ["other base"])
