"""Image build contexts come from the installed packages, never from a checkout, and their
tags depend on content alone (no Docker needed: nothing here builds an image)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import stub
from harness.env import spacetimedb_image, stub_image
from harness.env.image_build import copy_context, image_folder
from harness.env.recipe import context_digest


def test_the_stub_context_is_the_dockerfile_and_the_installed_stub_package() -> None:
    files = {"Dockerfile": image_folder("stub") / "Dockerfile", **stub_image._source_files()}
    stub_dir = Path(stub.__file__).resolve().parent
    for wanted in ("Dockerfile", "app/stub/proto/runtime.proto", "app/stub/runtime/__main__.py",
                   "app/stub/runtime/canon.py", "app/stub/control/__main__.py"):
        assert wanted in files
    for destination, source in files.items():
        assert source.is_file(), destination
        assert destination == "Dockerfile" or source.is_relative_to(stub_dir), destination
    # the system under test travels without the code that judges it (nor the glue to it)
    assert not [d for d in files if d.startswith("app/harness/")]
    assert "app/stub/adapters.py" not in files


def test_the_stub_services_start_from_the_context_alone(tmp_path: Path) -> None:
    """Everything the container runs imports with `harness` made unimportable."""
    copy_context(stub_image._source_files(), tmp_path)
    probe = ("import sys; sys.modules['harness'] = None\n"
             "import stub.runtime.__main__, stub.runtime.server, stub.control.__main__\n"
             "assert not [m for m in sys.modules if m.startswith('harness.')]\n"
             "print(stub.runtime.__file__)")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "app")}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(tmp_path)


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
