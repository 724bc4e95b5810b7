"""Where module builds go: one target dir per crate path, one wasm copy per feature set."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.env.module_keys import (
    crate_key,
    features_label,
    module_paths,
    normalized_features,
)

ROOTS = (Path("/cache/targets"), Path("/cache/wasm"), Path("/cache/logs"))


def _crate(root: Path, folder: str, package: str = "reference-module") -> Path:
    crate = root / folder
    crate.mkdir(parents=True)
    (crate / "Cargo.toml").write_text(f'[package]\nname = "{package}"\n', encoding="utf-8")
    return crate


def test_two_checkouts_of_a_crate_with_one_package_name_get_separate_dirs(
    tmp_path: Path,
) -> None:
    main = _crate(tmp_path, "main/projectors/reference")
    worktree = _crate(tmp_path, "wt/projectors/reference")

    first, second = module_paths(main, (), *ROOTS), module_paths(worktree, (), *ROOTS)

    assert first.target_dir != second.target_dir
    assert first.wasm_copy != second.wasm_copy
    assert first.lock_file != second.lock_file
    assert first.log_file != second.log_file


def test_feature_sets_share_the_target_dir_but_not_the_wasm(tmp_path: Path) -> None:
    crate = _crate(tmp_path, "reference")

    default = module_paths(crate, (), *ROOTS)
    mutant = module_paths(crate, ["mutant-gap-allowed"], *ROOTS)
    other = module_paths(crate, ["mutant-skip-hash-check"], *ROOTS)

    assert default.target_dir == mutant.target_dir == other.target_dir
    assert default.lock_file == mutant.lock_file
    assert len({default.wasm_copy, mutant.wasm_copy, other.wasm_copy}) == 3
    assert default.wasm_copy.parent == mutant.wasm_copy.parent
    assert default.wasm_copy.name == "default.wasm"
    assert mutant.wasm_copy.name == "mutant-gap-allowed.wasm"


def test_the_key_is_the_resolved_path(tmp_path: Path) -> None:
    crate = _crate(tmp_path, "reference")
    (tmp_path / "link").symlink_to(crate)

    assert crate_key(tmp_path / "link") == crate_key(crate)
    assert crate_key(tmp_path / "reference" / ".." / "reference") == crate_key(crate)
    assert crate_key(crate).startswith("reference-")


def test_feature_order_and_repetition_do_not_matter() -> None:
    assert normalized_features(["b", "a", "b", " "]) == ("a", "b")
    assert features_label(["b", "a"]) == features_label(["a", "b", "a"]) == "a,b"
    assert features_label([]) == "default"


def test_distinct_feature_sets_never_share_a_label() -> None:
    labels = {
        features_label(["a-b"]),
        features_label(["a", "b"]),
        features_label(["a_b"]),
        features_label(["serde/std"]),
        features_label(["serde_std"]),
    }
    assert len(labels) == 5


@pytest.mark.parametrize("count", [1, 40])
def test_labels_stay_short_and_file_name_safe(count: int) -> None:
    label = features_label([f"mutant-number-{n}-with-a-long-name" for n in range(count)])
    assert len(label) <= 120
    assert "/" not in label
