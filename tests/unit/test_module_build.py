"""build_module's bookkeeping around cargo, with cargo replaced by a fake.

The fake writes, like cargo, one output file per crate into the target directory it is
given, with contents naming the crate and features, so the tests can see which build an
artefact came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from harness.env import module_build
from harness.env.built_module import sha256_hex
from harness.env.module_build import WASM_TARGET, build_module

PACKAGE = "reference-module"


def _crate(root: Path, folder: str) -> Path:
    crate = root / folder
    crate.mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{PACKAGE}"\n\n[lib]\ncrate-type = ["cdylib"]\n', encoding="utf-8"
    )
    return crate


@pytest.fixture
def builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Every fake cargo run: its target dir, crate and features."""
    monkeypatch.setenv("STDB_HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(module_build, "_build_command",
                        lambda features: (["cargo", "build", *features], {}))
    seen: list[dict[str, str]] = []

    def fake_cargo(step: str, argv: Sequence[str], log_path: Path,
                   env: Mapping[str, str] | None = None, cwd: Path | None = None) -> float:
        assert env is not None and cwd is not None
        target = Path(env["CARGO_TARGET_DIR"])
        out = target / WASM_TARGET / "release" / f"{PACKAGE.replace('-', '_')}.wasm"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(f"\0asm {cwd} {list(argv[2:])}".encode())
        seen.append({"target": str(target), "crate": str(cwd), "features": ",".join(argv[2:])})
        return 0.0

    monkeypatch.setattr(module_build, "run_logged", fake_cargo)
    return seen


def test_same_package_in_two_checkouts_builds_and_caches_separately(
    tmp_path: Path, builds: list[dict[str, str]]
) -> None:
    main, worktree = _crate(tmp_path, "main/reference"), _crate(tmp_path, "wt/reference")

    first, second = build_module(main), build_module(worktree)

    assert builds[0]["target"] != builds[1]["target"]
    assert first.path != second.path
    assert str(main) in first.path.read_text(encoding="utf-8")
    assert str(worktree) in second.path.read_text(encoding="utf-8")
    assert (first.crate, second.crate) == (main, worktree)


def test_switching_features_never_hands_back_the_other_build(
    tmp_path: Path, builds: list[dict[str, str]]
) -> None:
    crate = _crate(tmp_path, "reference")

    reference = build_module(crate)
    mutant = build_module(crate, ["mutant-gap-allowed"])

    assert builds[0]["target"] == builds[1]["target"]  # std and dependencies built once
    assert reference.path != mutant.path
    assert "mutant-gap-allowed" not in reference.path.read_text(encoding="utf-8")
    assert "mutant-gap-allowed" in mutant.path.read_text(encoding="utf-8")
    assert reference.sha256 == sha256_hex(reference.path.read_bytes())
    assert mutant.sha256 == sha256_hex(mutant.path.read_bytes())
    assert reference.sha256 != mutant.sha256
    assert (reference.features, mutant.features) == ((), ("mutant-gap-allowed",))


def test_the_returned_copy_lives_outside_the_target_dir(
    tmp_path: Path, builds: list[dict[str, str]]
) -> None:
    built = build_module(_crate(tmp_path, "reference"), ["b", "a"])

    assert not built.path.is_relative_to(Path(builds[0]["target"]))
    assert built.path.name == "a,b.wasm"
    assert built.features == ("a", "b")
    assert not list(built.path.parent.glob(".*partial"))


def test_the_lib_name_names_the_output(tmp_path: Path) -> None:
    crate = tmp_path / "c"
    crate.mkdir()
    (crate / "Cargo.toml").write_text('[package]\nname = "pkg-name"\n\n[lib]\nname = "my_lib"\n',
                                      encoding="utf-8")
    assert module_build._wasm_file_name(crate) == "my_lib.wasm"
    (crate / "Cargo.toml").write_text('[package]\nname = "pkg-name"\n', encoding="utf-8")
    assert module_build._wasm_file_name(crate) == "pkg_name.wasm"
