"""--shard i/n: disjoint, complete, stable shares; bad values are usage errors (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.shards import Shard, parse_shard, shard_of

ROOT = Path(__file__).resolve().parents[2]


def test_shards_partition_any_ids_disjointly_and_completely() -> None:
    ids = [f"harness/suite/test_x.py::test_{i}[case-{i % 7}]" for i in range(500)]
    shares = [{i for i in ids if Shard(k, 4).owns(i)} for k in range(1, 5)]
    assert set().union(*shares) == set(ids)
    assert sum(len(share) for share in shares) == len(ids)
    assert all(len(share) > 60 for share in shares)  # roughly even


def test_adding_a_test_moves_nothing_else() -> None:
    before = {f"t.py::test_{i}": shard_of(f"t.py::test_{i}", 3) for i in range(100)}
    after = {i: shard_of(i, 3) for i in [*before, "t.py::test_new"]}
    assert {i: after[i] for i in before} == before


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1/0", "1-2", "/2", "-1/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(HarnessError, match="--shard"):
        parse_shard(text)


def test_good_shards_parse() -> None:
    assert parse_shard("1/1") == Shard(1, 1)
    assert parse_shard(" 4/4 ") == Shard(4, 4)


@pytest.mark.parametrize("text", ["0/2", "3/2", "x"])
def test_a_bad_shard_is_exit_2_from_the_cli(text: str, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--shard", text])
    assert exited.value.code == 2
    assert "--shard" in capsys.readouterr().err


def test_a_bad_shard_is_a_pytest_usage_error() -> None:
    result = _collect("--shard", "3/2")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "bad --shard '3/2'" in result.stderr


def _collect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "harness/suite", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTEST_ADDOPTS": ""})


def _items(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_the_suite_splits_into_disjoint_shards_of_both_kinds() -> None:
    everything = _items(_collect())
    shares = [{item for item in everything if shard_of(item, 3) == k} for k in (1, 2, 3)]
    for share in shares:
        assert any("test_curated" in item for item in share), share
        assert any("test_generated" in item for item in share), share
    # the plugin keeps exactly that share (the rest is reported deselected)
    second = _collect("--shard", "2/3")
    assert _items(second) == shares[1]
    # (the replay test, dropped without --scenario, is deselected in both runs)
    assert f"({len(everything) + 1 - len(shares[1])} deselected)" in second.stdout
